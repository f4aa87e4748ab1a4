import ChargePoint

/// Every fixed text of the web pages in English, German and Dutch (the seeds' languages: seeds/000 German,
/// seeds/004 Dutch, seeds/002 English). A key missing in a language falls back to English; a test checks that none is
/// missing. Menu names follow the seeds (seeds/000 "LASTMANAGEMENT", "AUTORISIERUNG", "SYSTEM").
public enum WebText {
    public static let languages = ["en", "de", "nl"]

    static let en: [String: String] = [
        "title": "ChargeKit",
        "login.heading": "Log in", "login.name": "User", "login.password": "Password", "login.submit": "Log in",
        "login.wrong": "User or password is not correct.",
        "login.locked": "Too many failed logins. This user is locked until %@ (station time).",
        "login.hint": "The initial passwords were printed once on the console when the station started for the first time.",
        "password.heading": "Change password", "password.forced": "Please choose your own password before you continue.",
        "password.old": "Old password", "password.new": "New password", "password.repeat": "Repeat new password",
        "password.submit": "Change password", "password.changed": "Your password was changed.",
        "menu.Dashboard": "Dashboard", "menu.Network": "Network", "menu.Backend": "Backend", "menu.Authorization": "Authorization",
        "menu.Whitelists": "Whitelists", "menu.Load Management": "Load Management", "menu.Installation": "Installation",
        "menu.System": "System",
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
        "title": "ChargeKit",
        "login.heading": "Anmelden", "login.name": "Benutzer", "login.password": "Passwort", "login.submit": "Anmelden",
        "login.wrong": "Benutzer oder Passwort ist nicht korrekt.",
        "login.locked": "Zu viele fehlgeschlagene Anmeldungen. Dieser Benutzer ist gesperrt bis %@ (Stationszeit).",
        "login.hint": "Die Anfangspasswörter wurden beim ersten Start der Station einmalig auf der Konsole ausgegeben.",
        "password.heading": "Passwort ändern", "password.forced": "Bitte wähle ein eigenes Passwort, bevor du fortfährst.",
        "password.old": "Altes Passwort", "password.new": "Neues Passwort", "password.repeat": "Neues Passwort wiederholen",
        "password.submit": "Passwort ändern", "password.changed": "Dein Passwort wurde geändert.",
        "menu.Dashboard": "Übersicht", "menu.Network": "Netzwerk", "menu.Backend": "Backend", "menu.Authorization": "Autorisierung",
        "menu.Whitelists": "Whitelists", "menu.Load Management": "Lastmanagement", "menu.Installation": "Installation",
        "menu.System": "System",
        "user.logout": "Abmelden", "user.password": "Passwort ändern", "user.language": "Sprache", "user.role": "Rolle",
        "role.operator": "Betreiber", "role.installer": "Installateur", "role.manufacturer": "Hersteller",
        "form.save": "Speichern", "form.reset": "Alle Änderungen zurücksetzen", "form.unsaved": "Ungespeicherte Änderungen",
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
        "title": "ChargeKit",
        "login.heading": "Inloggen", "login.name": "Gebruiker", "login.password": "Wachtwoord", "login.submit": "Inloggen",
        "login.wrong": "Gebruiker of wachtwoord is niet juist.",
        "login.locked": "Te veel mislukte pogingen. Deze gebruiker is geblokkeerd tot %@ (tijd van het laadstation).",
        "login.hint": "De initiële wachtwoorden zijn bij de eerste start van het laadstation eenmalig op de console getoond.",
        "password.heading": "Wachtwoord wijzigen", "password.forced": "Kies eerst een eigen wachtwoord.",
        "password.old": "Oud wachtwoord", "password.new": "Nieuw wachtwoord", "password.repeat": "Herhaal nieuw wachtwoord",
        "password.submit": "Wachtwoord wijzigen", "password.changed": "Uw wachtwoord is gewijzigd.",
        "menu.Dashboard": "Dashboard", "menu.Network": "Netwerk", "menu.Backend": "Backend", "menu.Authorization": "Autorisatie",
        "menu.Whitelists": "Whitelists", "menu.Load Management": "Load Management", "menu.Installation": "Installatie",
        "menu.System": "Systeem",
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

    /// The texts of one language (English for missing keys).
    public static func table(_ language: String) -> [String: String] {
        let own = language == "de" ? de : language == "nl" ? nl : en
        return en.merging(own) { _, mine in mine }
    }

    /// Keys that a language lacks (for the catalogue test).
    public static func missing(_ language: String) -> [String] {
        let own = language == "de" ? de : language == "nl" ? nl : en
        return en.keys.filter { own[$0] == nil }.sorted()
    }
}
