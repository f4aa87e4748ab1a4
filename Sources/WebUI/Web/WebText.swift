import ChargePoint

/// Every fixed text of the web pages in English, German and Dutch (the seeds' languages: seeds/000 German,
/// seeds/004 Dutch, seeds/002 English). A key missing in a language falls back to English; a test checks that none is
/// missing. Menu names follow the seeds (seeds/000 "LASTMANAGEMENT", "AUTORISIERUNG", "SYSTEM").
public enum WebText {
    public static let languages = ["en", "de", "nl"]

    static let en: [String: String] = [
        "wl.local": "Local whitelist", "wl.search": "Search identifier", "wl.searchButton": "Search", "wl.id": "Identifier",
        "wl.kind": "Kind", "wl.group": "Group (parent id)", "wl.expiry": "Expiry", "wl.state": "State", "wl.blocked": "blocked",
        "wl.accepted": "accepted", "wl.delete": "Delete", "wl.empty": "No entries.", "wl.prev": "Previous", "wl.next": "Next",
        "wl.page": "Page", "wl.deleted": "Deleted since the last restart", "wl.restore": "Restore", "wl.add": "Add entry",
        "wl.addBlocked": "Add as blocked", "wl.addButton": "Add entry", "wl.learning": "Learning mode",
        "wl.learningHelp": "Hold cards to the reader or plug in a car (Autocharge): their identifiers are added to the local whitelist.",
        "wl.learningOn": "Learning mode is on: hold the card to the reader or plug in the car.", "wl.learningStart": "Start learning mode",
        "wl.learningStop": "Stop learning mode", "wl.import": "Import list", "wl.file": "CSV file", "wl.update": "Update (add and change entries)",
        "wl.replace": "Replace (the file becomes the whole list)", "wl.importButton": "Import", "wl.export": "Export list",
        "wl.exportFull": "Export (UID, GID, Expiry, Authorization)", "wl.exportIds": "Export identifiers only",
        "wl.deleteAll": "Delete whole list", "wl.deleteAllConfirm": "Delete every entry of this list?", "wl.ocpp": "OCPP whitelist",
        "wl.ocppOff": "The OCPP whitelist is not enabled yet.", "wl.disabled": "The local whitelist is switched off (Authorization menu); its entries are kept.",
        "wl.imported": "Processed %n lines: %a added, %u updated.", "wl.done.added": "%id was added.", "wl.done.deleted": "%id was deleted.",
        "wl.done.restored": "%id was restored.", "wl.done.cleared": "The whole list was deleted (%n entries).",
        "wl.done.learning": "Learning mode is on.", "wl.done.learningOff": "Learning mode is off.", "wl.done.cacheCleared": "The OCPP whitelist was deleted.",
        "import.empty": "Choose a CSV file to import.",
        "login.heading": "Log in", "login.name": "User", "login.password": "Password", "login.submit": "Log in",
        "login.wrong": "User or password is not correct.",
        "login.locked": "Too many failed logins. This user is locked until %@ (station time).",
        "login.hint": "The initial passwords were printed once on the console when the station started for the first time.",
        "password.heading": "Change password", "password.forced": "Please choose your own password before you continue.",
        "password.old": "Old password", "password.new": "New password", "password.repeat": "Repeat new password",
        "password.submit": "Change password", "password.changed": "Your password was changed.",
        "menu.Dashboard": "Dashboard", "menu.Network": "Network", "menu.Backend": "Backend", "menu.Authorization": "Authorization",
        "menu.Whitelists": "Whitelists", "menu.Load Management": "Load Management", "menu.Installation": "Installation",
        "menu.System": "System", "nav.home": "Dashboard",
        "user.logout": "Log out", "user.password": "Change password", "user.language": "Language", "user.role": "Role",
        "role.operator": "Operator", "role.installer": "Installer", "role.manufacturer": "Manufacturer",
        "form.save": "Save", "form.reset": "Reset all changes", "form.unsaved": "Unsaved Changes",
        "form.saved": "Saved.", "form.errors": "Nothing was saved: correct the marked fields.",
        "form.restart": "A saved change takes effect after a restart of the station.",
        "form.readonly": "Needs the %@ role", "form.secretSet": "set (enter a new value to replace it)", "form.secretUnset": "not set",
        "form.on": "On", "form.off": "Off", "form.default": "Default", "form.restartBadge": "Restart required",
        "dash.status": "System status", "dash.identity": "ChargeBoxIdentity", "dash.serial": "Serial number",
        "dash.uptime": "Running since", "dash.connector": "Connector", "dash.ocpp": "OCPP state", "dash.type2": "Type 2 state",
        "dash.signaled": "Signaled current", "dash.limitedBy": "limited by", "dash.meter": "Meter", "dash.current": "Current",
        "dash.voltage": "Voltage", "dash.power": "Power", "dash.energy": "Energy", "dash.errors": "Active errors",
        "dash.noErrors": "No active errors.", "dash.sessions": "Charging sessions", "dash.total": "Total sessions",
        "dash.avgDuration": "Average duration", "dash.avgEnergy": "Average energy per session",
        "dash.lastMonth": "Energy last month", "dash.session": "Session", "dash.noSession": "No session",
        "dash.dlm": "Dynamic Load Management", "dash.slave": "Slave", "dash.address": "Address", "dash.lastSeen": "Last seen",
        "dash.grant": "Allocation", "dash.connected": "connected", "dash.silent": "silent", "dash.live": "live",
        "dash.master": "Master", "dash.available": "Available", "dash.applied": "Applied",
        "error.notFound": "This page does not exist.", "error.csrf": "The form expired or did not come from this station. Please try again.",
    ]

    static let de: [String: String] = [
        "wl.local": "Lokale Whitelist", "wl.search": "Kennung suchen", "wl.searchButton": "Suchen", "wl.id": "Kennung",
        "wl.kind": "Art", "wl.group": "Gruppe (Parent-ID)", "wl.expiry": "Ablauf", "wl.state": "Status", "wl.blocked": "gesperrt",
        "wl.accepted": "akzeptiert", "wl.delete": "Löschen", "wl.empty": "Keine Einträge.", "wl.prev": "Zurück", "wl.next": "Weiter",
        "wl.page": "Seite", "wl.deleted": "Seit dem letzten Neustart gelöscht", "wl.restore": "Wiederherstellen", "wl.add": "Eintrag hinzufügen",
        "wl.addBlocked": "Als gesperrt hinzufügen", "wl.addButton": "Eintrag hinzufügen", "wl.learning": "Lernmodus",
        "wl.learningHelp": "Karten an das Lesegerät halten oder ein Fahrzeug anstecken (Autocharge): ihre Kennungen werden in die lokale Whitelist aufgenommen.",
        "wl.learningOn": "Der Lernmodus ist an: Karte an das Lesegerät halten oder das Fahrzeug anstecken.", "wl.learningStart": "Lernmodus starten",
        "wl.learningStop": "Lernmodus beenden", "wl.import": "Liste importieren", "wl.file": "CSV-Datei", "wl.update": "Aktualisieren (Einträge hinzufügen und ändern)",
        "wl.replace": "Ersetzen (die Datei wird die ganze Liste)", "wl.importButton": "Importieren", "wl.export": "Liste exportieren",
        "wl.exportFull": "Exportieren (UID, GID, Ablauf, Autorisierung)", "wl.exportIds": "Nur Kennungen exportieren",
        "wl.deleteAll": "Ganze Liste löschen", "wl.deleteAllConfirm": "Alle Einträge dieser Liste löschen?", "wl.ocpp": "OCPP-Whitelist",
        "wl.ocppOff": "Die OCPP-Whitelist ist noch nicht aktiviert.", "wl.disabled": "Die lokale Whitelist ist ausgeschaltet (Menü Autorisierung); ihre Einträge bleiben erhalten.",
        "wl.imported": "%n Zeilen bearbeitet: %a hinzugefügt, %u aktualisiert.", "wl.done.added": "%id wurde hinzugefügt.", "wl.done.deleted": "%id wurde gelöscht.",
        "wl.done.restored": "%id wurde wiederhergestellt.", "wl.done.cleared": "Die ganze Liste wurde gelöscht (%n Einträge).",
        "wl.done.learning": "Der Lernmodus ist an.", "wl.done.learningOff": "Der Lernmodus ist aus.", "wl.done.cacheCleared": "Die OCPP-Whitelist wurde gelöscht.",
        "import.empty": "Bitte eine CSV-Datei zum Importieren wählen.",
        "login.heading": "Anmelden", "login.name": "Benutzer", "login.password": "Passwort", "login.submit": "Anmelden",
        "login.wrong": "Benutzer oder Passwort ist nicht korrekt.",
        "login.locked": "Zu viele fehlgeschlagene Anmeldungen. Dieser Benutzer ist gesperrt bis %@ (Stationszeit).",
        "login.hint": "Die Anfangspasswörter wurden beim ersten Start der Station einmalig auf der Konsole ausgegeben.",
        "password.heading": "Passwort ändern", "password.forced": "Bitte wähle ein eigenes Passwort, bevor du fortfährst.",
        "password.old": "Altes Passwort", "password.new": "Neues Passwort", "password.repeat": "Neues Passwort wiederholen",
        "password.submit": "Passwort ändern", "password.changed": "Dein Passwort wurde geändert.",
        "menu.Dashboard": "Übersicht", "menu.Network": "Netzwerk", "menu.Backend": "Backend", "menu.Authorization": "Autorisierung",
        "menu.Whitelists": "Whitelists", "menu.Load Management": "Lastmanagement", "menu.Installation": "Installation",
        "menu.System": "System", "nav.home": "Übersicht",
        "user.logout": "Abmelden", "user.password": "Passwort ändern", "user.language": "Sprache", "user.role": "Rolle",
        "role.operator": "Betreiber", "role.installer": "Installateur", "role.manufacturer": "Hersteller",
        "form.save": "Speichern", "form.reset": "Änderungen zurücksetzen", "form.unsaved": "Ungespeicherte Änderungen",
        "form.saved": "Gespeichert.", "form.errors": "Nichts wurde gespeichert: bitte die markierten Felder korrigieren.",
        "form.restart": "Eine gespeicherte Änderung wird nach einem Neustart der Station wirksam.",
        "form.readonly": "Erfordert die Rolle %@", "form.secretSet": "gesetzt (neuen Wert eingeben, um ihn zu ersetzen)",
        "form.secretUnset": "nicht gesetzt", "form.on": "Ein", "form.off": "Aus", "form.default": "Standard",
        "form.restartBadge": "Neustart erforderlich",
        "dash.status": "Systemstatus", "dash.identity": "ChargeBoxIdentity", "dash.serial": "Seriennummer",
        "dash.uptime": "Läuft seit", "dash.connector": "Ladepunkt", "dash.ocpp": "OCPP-Status", "dash.type2": "Typ-2-Status",
        "dash.signaled": "Signalisierter Strom", "dash.limitedBy": "begrenzt durch", "dash.meter": "Zähler", "dash.current": "Strom",
        "dash.voltage": "Spannung", "dash.power": "Leistung", "dash.energy": "Energie", "dash.errors": "Aktive Fehler",
        "dash.noErrors": "Keine aktiven Fehler.", "dash.sessions": "Ladevorgänge", "dash.total": "Ladevorgänge gesamt",
        "dash.avgDuration": "Durchschnittliche Dauer", "dash.avgEnergy": "Durchschnittliche Energie pro Ladevorgang",
        "dash.lastMonth": "Energie im letzten Monat", "dash.session": "Ladevorgang", "dash.noSession": "Kein Ladevorgang",
        "dash.dlm": "Dynamisches Lastmanagement", "dash.slave": "Slave", "dash.address": "Adresse", "dash.lastSeen": "Zuletzt gesehen",
        "dash.grant": "Zuteilung", "dash.connected": "verbunden", "dash.silent": "stumm", "dash.live": "live",
        "dash.master": "Master", "dash.available": "Verfügbar", "dash.applied": "Zugeteilt",
        "error.notFound": "Diese Seite gibt es nicht.", "error.csrf": "Das Formular ist abgelaufen oder stammt nicht von dieser Station. Bitte erneut versuchen.",
    ]

    static let nl: [String: String] = [
        "wl.local": "Lokale whitelist", "wl.search": "Identificatie zoeken", "wl.searchButton": "Zoeken", "wl.id": "Identificatie",
        "wl.kind": "Soort", "wl.group": "Groep (parent-id)", "wl.expiry": "Vervaldatum", "wl.state": "Status", "wl.blocked": "geblokkeerd",
        "wl.accepted": "geaccepteerd", "wl.delete": "Verwijderen", "wl.empty": "Geen items.", "wl.prev": "Vorige", "wl.next": "Volgende",
        "wl.page": "Pagina", "wl.deleted": "Verwijderd sinds de laatste herstart", "wl.restore": "Herstellen", "wl.add": "Item toevoegen",
        "wl.addBlocked": "Als geblokkeerd toevoegen", "wl.addButton": "Item toevoegen", "wl.learning": "Leermodus",
        "wl.learningHelp": "Houd kaarten voor de lezer of sluit een auto aan (Autocharge): hun identificaties worden aan de lokale whitelist toegevoegd.",
        "wl.learningOn": "De leermodus staat aan: houd de kaart voor de lezer of sluit de auto aan.", "wl.learningStart": "Leermodus starten",
        "wl.learningStop": "Leermodus stoppen", "wl.import": "Lijst importeren", "wl.file": "CSV-bestand", "wl.update": "Bijwerken (items toevoegen en wijzigen)",
        "wl.replace": "Vervangen (het bestand wordt de hele lijst)", "wl.importButton": "Importeren", "wl.export": "Lijst exporteren",
        "wl.exportFull": "Exporteren (UID, GID, vervaldatum, autorisatie)", "wl.exportIds": "Alleen identificaties exporteren",
        "wl.deleteAll": "Hele lijst verwijderen", "wl.deleteAllConfirm": "Alle items van deze lijst verwijderen?", "wl.ocpp": "OCPP-whitelist",
        "wl.ocppOff": "De OCPP-whitelist is nog niet ingeschakeld.", "wl.disabled": "De lokale whitelist staat uit (menu Autorisatie); de items blijven bewaard.",
        "wl.imported": "%n regels verwerkt: %a toegevoegd, %u bijgewerkt.", "wl.done.added": "%id is toegevoegd.", "wl.done.deleted": "%id is verwijderd.",
        "wl.done.restored": "%id is hersteld.", "wl.done.cleared": "De hele lijst is verwijderd (%n items).",
        "wl.done.learning": "De leermodus staat aan.", "wl.done.learningOff": "De leermodus staat uit.", "wl.done.cacheCleared": "De OCPP-whitelist is verwijderd.",
        "import.empty": "Kies een CSV-bestand om te importeren.",
        "login.heading": "Inloggen", "login.name": "Gebruiker", "login.password": "Wachtwoord", "login.submit": "Inloggen",
        "login.wrong": "Gebruiker of wachtwoord is niet juist.",
        "login.locked": "Te veel mislukte pogingen. Deze gebruiker is geblokkeerd tot %@ (tijd van het laadstation).",
        "login.hint": "De initiële wachtwoorden zijn bij de eerste start van het laadstation eenmalig op de console getoond.",
        "password.heading": "Wachtwoord wijzigen", "password.forced": "Kies eerst een eigen wachtwoord.",
        "password.old": "Oud wachtwoord", "password.new": "Nieuw wachtwoord", "password.repeat": "Herhaal nieuw wachtwoord",
        "password.submit": "Wachtwoord wijzigen", "password.changed": "Uw wachtwoord is gewijzigd.",
        "menu.Dashboard": "Dashboard", "menu.Network": "Netwerk", "menu.Backend": "Backend", "menu.Authorization": "Autorisatie",
        "menu.Whitelists": "Whitelists", "menu.Load Management": "Load Management", "menu.Installation": "Installatie",
        "menu.System": "Systeem", "nav.home": "Dashboard",
        "user.logout": "Uitloggen", "user.password": "Wachtwoord wijzigen", "user.language": "Taal", "user.role": "Rol",
        "role.operator": "Operator", "role.installer": "Installateur", "role.manufacturer": "Fabrikant",
        "form.save": "Opslaan", "form.reset": "Alle wijzigingen ongedaan maken", "form.unsaved": "Niet-opgeslagen wijzigingen",
        "form.saved": "Opgeslagen.", "form.errors": "Er is niets opgeslagen: corrigeer de gemarkeerde velden.",
        "form.restart": "Een opgeslagen wijziging werkt na een herstart van het laadstation.",
        "form.readonly": "Vereist de rol %@", "form.secretSet": "ingesteld (voer een nieuwe waarde in om te vervangen)",
        "form.secretUnset": "niet ingesteld", "form.on": "Aan", "form.off": "Uit", "form.default": "Standaard",
        "form.restartBadge": "Herstart vereist",
        "dash.status": "Systeemstatus", "dash.identity": "ChargeBoxIdentity", "dash.serial": "Serienummer",
        "dash.uptime": "Actief sinds", "dash.connector": "Laadpunt", "dash.ocpp": "OCPP-status", "dash.type2": "Type 2-status",
        "dash.signaled": "Gesignaleerde stroom", "dash.limitedBy": "begrensd door", "dash.meter": "Meter", "dash.current": "Stroom",
        "dash.voltage": "Spanning", "dash.power": "Vermogen", "dash.energy": "Energie", "dash.errors": "Actieve fouten",
        "dash.noErrors": "Geen actieve fouten.", "dash.sessions": "Laadsessies", "dash.total": "Totaal aantal sessies",
        "dash.avgDuration": "Gemiddelde duur", "dash.avgEnergy": "Gemiddelde energie per sessie",
        "dash.lastMonth": "Energie vorige maand", "dash.session": "Sessie", "dash.noSession": "Geen sessie",
        "dash.dlm": "Dynamisch Lastmanagement", "dash.slave": "Slave", "dash.address": "Adres", "dash.lastSeen": "Laatst gezien",
        "dash.grant": "Toewijzing", "dash.connected": "verbonden", "dash.silent": "stil", "dash.live": "live",
        "dash.master": "Master", "dash.available": "Beschikbaar", "dash.applied": "Toegewezen",
        "error.notFound": "Deze pagina bestaat niet.", "error.csrf": "Het formulier is verlopen of komt niet van dit laadstation. Probeer het opnieuw.",
    ]

    /// Each language's own texts.
    static func own(_ language: String) -> [String: String] {
        switch language {
        case "de": de.merging(dePages) { a, _ in a }.merging(deGateway) { a, _ in a }
        case "nl": nl.merging(nlPages) { a, _ in a }.merging(nlGateway) { a, _ in a }
        default: en.merging(enPages) { a, _ in a }.merging(enGateway) { a, _ in a }
        }
    }

    /// Every language's table, built once: its own texts over English for missing keys.
    static let tables: [String: [String: String]] = Dictionary(uniqueKeysWithValues: languages.map { l in
        (l, own("en").merging(own(l)) { _, mine in mine })
    })

    /// The texts of one language (English for missing keys and unknown languages).
    public static func table(_ language: String) -> [String: String] { tables[language] ?? tables["en"]! }

    /// Keys that a language lacks (for the catalogue test).
    public static func missing(_ language: String) -> [String] {
        let mine = own(language)
        return own("en").keys.filter { mine[$0] == nil }.sorted()
    }
}
