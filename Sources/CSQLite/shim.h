// The system's SQLite (Debian libsqlite3-dev; libsqlite3-0 at run time), for the SQLite target. Swift cannot call C's
// variadic sqlite3_db_config nor use the SQLITE_TRANSIENT macro (a function pointer cast), so the two are wrapped here.
#include <sqlite3.h>

/// No double-quoted string literals: "x" is an identifier, never a string (https://www.sqlite.org/quirks.html §8).
static inline void csqlite_disable_double_quoted_strings(sqlite3 *db) {
    sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DML, 0, (void *)0);
    sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DDL, 0, (void *)0);
}

/// Binds text that SQLite copies (SQLITE_TRANSIENT): the Swift buffer lives only for the call.
static inline int csqlite_bind_text(sqlite3_stmt *stmt, int index, const char *text, int bytes) {
    return sqlite3_bind_text(stmt, index, text, bytes, SQLITE_TRANSIENT);
}

/// Binds a blob that SQLite copies (SQLITE_TRANSIENT).
static inline int csqlite_bind_blob(sqlite3_stmt *stmt, int index, const void *bytes, int count) {
    return sqlite3_bind_blob(stmt, index, bytes, count, SQLITE_TRANSIENT);
}
