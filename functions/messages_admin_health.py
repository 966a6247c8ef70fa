"""Messages of the admin console's health page: every check, what it found, what to do."""

from __future__ import annotations

from typing import Literal

ADMIN_HEALTH_MESSAGES: dict[str, dict[Literal["en", "de"], str]] = {
    # health
    "health_title": {"en": "Health", "de": "Zustand"},
    "health_ok": {"en": "all checks pass", "de": "alle Prüfungen bestanden"},
    "health_not_ok": {"en": "needs attention", "de": "erfordert Aufmerksamkeit"},
    "health_check": {"en": "Check", "de": "Prüfung"},
    "health_finding": {"en": "Found", "de": "Befund"},
    "health_fix": {"en": "What to do", "de": "Was zu tun ist"},
    "health_again": {"en": "Check again", "de": "Erneut prüfen"},
    "health_log_counts": {
        "en": "Write-back log, last 24 hours:",
        "de": "Rückschreibprotokoll, letzte 24 Stunden:",
    },
    "health_errors": {"en": "{count} errors", "de": "{count} Fehler"},
    "health_warnings": {"en": "{count} warnings", "de": "{count} Warnungen"},
    "health_infos": {"en": "{count} information", "de": "{count} Informationen"},
    "health_status_ok": {"en": "passed", "de": "bestanden"},
    "health_status_failed": {"en": "failed", "de": "nicht bestanden"},
    "health_status_warning": {"en": "warning", "de": "Warnung"},
    "health_status_skipped": {"en": "not checked", "de": "nicht geprüft"},
    "check_dynamics_solution": {
        "en": "Cockpit solution in Dynamics 365",
        "de": "Cockpit-Lösung in Dynamics 365",
    },
    "check_target_exists": {"en": "Target field exists", "de": "Zielfeld vorhanden"},
    "check_target_numeric": {"en": "Target field is numeric", "de": "Zielfeld ist numerisch"},
    "check_target_range": {"en": "Target field holds 0–100", "de": "Zielfeld fasst 0–100"},
    "check_target_updatable": {
        "en": "Target field can be updated",
        "de": "Zielfeld ist änderbar",
    },
    "check_target_secured": {
        "en": "Field security on the target field",
        "de": "Feldsicherheit am Zielfeld",
    },
    "check_app_token": {
        "en": "App credential gets a token",
        "de": "App-Anmeldedaten erhalten ein Token",
    },
    "check_app_user": {"en": "Application user", "de": "Anwendungsbenutzer"},
    "check_app_impersonate": {
        "en": "Background writes on behalf of users",
        "de": "Hintergrund schreibt im Namen der Benutzer",
    },
    "check_app_write": {
        "en": "Background may write opportunities",
        "de": "Hintergrund darf Verkaufschancen schreiben",
    },
    "check_storage": {"en": "Storage answers", "de": "Speicher antwortet"},
    "check_tables": {"en": "Every table answers", "de": "Alle Tabellen antworten"},
    "check_token_cache_key": {"en": "Token cache key", "de": "Schlüssel des Token-Caches"},
    "health_solution_ok": {
        "en": "{solution} version {version} is installed.",
        "de": "{solution} Version {version} ist installiert.",
    },
    "health_solution_missing": {
        "en": "{solution} is not installed.",
        "de": "{solution} ist nicht installiert.",
    },
    "health_solution_version_unreadable": {
        "en": "{solution} is installed, but its version “{version}” cannot be read.",
        "de": "{solution} ist installiert, aber die Version „{version}“ ist nicht lesbar.",
    },
    "health_install_solution_outdated": {
        "en": "{solution} version {version} is installed; this deployment ships {expected}.",
        "de": "{solution} Version {version} ist installiert; diese Bereitstellung liefert {expected}.",
    },
    "health_install_solution_newer": {
        "en": "{solution} version {version} is newer than this deployment ({expected}).",
        "de": "{solution} Version {version} ist neuer als diese Bereitstellung ({expected}).",
    },
    "health_install_solution_unmanaged": {
        "en": "{solution} version {version} is installed unmanaged.",
        "de": "{solution} Version {version} ist nicht verwaltet installiert.",
    },
    "health_install_version_unknown": {
        "en": "The version of {solution} cannot be read ({version}).",
        "de": "Die Version von {solution} ist nicht lesbar ({version}).",
    },
    "health_install_url_not_set": {
        "en": "The Cockpit URL of {solution} is not set in this environment.",
        "de": "Die Cockpit-URL von {solution} ist in dieser Umgebung nicht gesetzt.",
    },
    "health_install_url_mismatch": {
        "en": "The Cockpit URL in Dynamics is {url}, but this deployment is {cockpit}.",
        "de": "Die Cockpit-URL in Dynamics ist {url}, diese Bereitstellung ist aber {cockpit}.",
    },
    "health_install_variable_missing": {
        "en": "{solution} is installed without its Cockpit URL variable.",
        "de": "{solution} ist ohne seine Cockpit-URL-Variable installiert.",
    },
    "fix_install_solution_outdated": {
        "en": "Import the managed package {expected} over the installed one (an upgrade keeps the settings).",
        "de": "Importieren Sie das verwaltete Paket {expected} über das installierte (ein Upgrade behält die Einstellungen).",
    },
    "fix_install_solution_newer": {
        "en": "Deploy the cockpit version that matches the package, or import the package {expected}.",
        "de": "Stellen Sie die zum Paket passende Cockpit-Version bereit oder importieren Sie das Paket {expected}.",
    },
    "fix_install_solution_unmanaged": {
        "en": "Outside development, import the managed package instead.",
        "de": "Importieren Sie außerhalb der Entwicklung stattdessen das verwaltete Paket.",
    },
    "fix_install_version_unknown": {
        "en": "Import the cockpit's managed solution package again.",
        "de": "Importieren Sie das verwaltete Lösungspaket des Cockpits erneut.",
    },
    "fix_install_url_not_set": {
        "en": "Set the environment variable “Cockpit URL” to {cockpit} (setup guide, step 2).",
        "de": "Setzen Sie die Umgebungsvariable „Cockpit-URL“ auf {cockpit} (Einrichtungsanleitung, Schritt 2).",
    },
    "fix_install_url_mismatch": {
        "en": "Set the environment variable “Cockpit URL” to {cockpit} (setup guide, step 2).",
        "de": "Setzen Sie die Umgebungsvariable „Cockpit-URL“ auf {cockpit} (Einrichtungsanleitung, Schritt 2).",
    },
    "fix_install_variable_missing": {
        "en": "Import the cockpit's managed solution package again.",
        "de": "Importieren Sie das verwaltete Lösungspaket des Cockpits erneut.",
    },
    "health_solution_unmanaged": {
        "en": "{solution} version {version} is installed unmanaged.",
        "de": "{solution} Version {version} ist nicht verwaltet installiert.",
    },
    "health_target_exists": {
        "en": "“{field}” ({name}) exists.",
        "de": "„{field}“ ({name}) existiert.",
    },
    "health_target_missing": {
        "en": "The opportunity has no column “{field}”.",
        "de": "Die Verkaufschance hat keine Spalte „{field}“.",
    },
    "health_target_numeric": {
        "en": "“{field}” is a {type} column.",
        "de": "„{field}“ ist eine Spalte vom Typ {type}.",
    },
    "health_target_type": {
        "en": "“{field}” is a {type} column, not a number.",
        "de": "„{field}“ ist eine Spalte vom Typ {type}, keine Zahl.",
    },
    "health_target_money": {
        "en": "“{field}” is a currency column; a probability is not an amount.",
        "de": "„{field}“ ist eine Währungsspalte; eine Wahrscheinlichkeit ist kein Betrag.",
    },
    "health_target_range_ok": {
        "en": "“{field}” can hold 0 to 100.",
        "de": "„{field}“ kann 0 bis 100 aufnehmen.",
    },
    "health_target_range": {
        "en": "“{field}” only holds {min} to {max}.",
        "de": "„{field}“ fasst nur {min} bis {max}.",
    },
    "health_target_updatable": {
        "en": "“{field}” can be updated.",
        "de": "„{field}“ ist änderbar.",
    },
    "health_target_readonly": {
        "en": "Dynamics 365 does not allow updating “{field}”.",
        "de": "Dynamics 365 erlaubt keine Änderung von „{field}“.",
    },
    "health_target_not_secured": {
        "en": "“{field}” is not under field security.",
        "de": "„{field}“ unterliegt keiner Feldsicherheit.",
    },
    "health_target_secured": {
        "en": "“{field}” is secured: only users with a field security profile can write it.",
        "de": "„{field}“ ist geschützt: nur Benutzer mit Feldsicherheitsprofil können es schreiben.",
    },
    "health_app_token_ok": {
        "en": "The app signed in to Microsoft Entra ID.",
        "de": "Die App hat sich bei Microsoft Entra ID angemeldet.",
    },
    "health_app_token_failed": {
        "en": "The app could not sign in to Microsoft Entra ID ({error}).",
        "de": "Die App konnte sich nicht bei Microsoft Entra ID anmelden ({error}).",
    },
    "health_app_user_ok": {
        "en": "The application user for app {app_id} exists and is enabled.",
        "de": "Der Anwendungsbenutzer für die App {app_id} existiert und ist aktiviert.",
    },
    "health_app_user_missing": {
        "en": "There is no application user for app {app_id}.",
        "de": "Es gibt keinen Anwendungsbenutzer für die App {app_id}.",
    },
    "health_app_user_disabled": {
        "en": "The application user for app {app_id} is disabled.",
        "de": "Der Anwendungsbenutzer für die App {app_id} ist deaktiviert.",
    },
    "health_app_impersonate_ok": {
        "en": "The app may act on behalf of users.",
        "de": "Die App darf im Namen von Benutzern handeln.",
    },
    "health_app_impersonate_missing": {
        "en": "The app may not act on behalf of users: background retries cannot write as the rep.",
        "de": "Die App darf nicht im Namen von Benutzern handeln: Hintergrundversuche können nicht als Vertriebsmitarbeiter schreiben.",
    },
    "health_app_write_ok": {
        "en": "The application user may write opportunities.",
        "de": "Der Anwendungsbenutzer darf Verkaufschancen schreiben.",
    },
    "health_app_write_missing": {
        "en": "The application user may read but not write opportunities.",
        "de": "Der Anwendungsbenutzer darf Verkaufschancen lesen, aber nicht schreiben.",
    },
    "health_app_read_missing": {
        "en": "The application user may not even read opportunities.",
        "de": "Der Anwendungsbenutzer darf Verkaufschancen nicht einmal lesen.",
    },
    "health_storage_ok": {"en": "Azure Storage answers.", "de": "Azure Storage antwortet."},
    "health_storage_down": {
        "en": "Azure Storage does not answer.",
        "de": "Azure Storage antwortet nicht.",
    },
    "health_tables_ok": {
        "en": "All {count} tables answer.",
        "de": "Alle {count} Tabellen antworten.",
    },
    "health_tables_broken": {
        "en": "These tables do not answer: {tables}.",
        "de": "Diese Tabellen antworten nicht: {tables}.",
    },
    "health_key_ok": {
        "en": "The key is loaded and works.",
        "de": "Der Schlüssel ist geladen und funktioniert.",
    },
    "health_key_broken": {
        "en": "The key cannot encrypt and decrypt.",
        "de": "Der Schlüssel kann nicht ver- und entschlüsseln.",
    },
    "health_skipped": {"en": "Not checked: {because}", "de": "Nicht geprüft: {because}"},
    "health_cannot_check": {
        "en": "Could not be checked: {error}",
        "de": "Konnte nicht geprüft werden: {error}",
    },
    "skip_target_exists": {
        "en": "the field does not exist.",
        "de": "das Feld existiert nicht.",
    },
    "skip_target_numeric": {
        "en": "the field is not numeric.",
        "de": "das Feld ist nicht numerisch.",
    },
    "skip_app_token": {
        "en": "the app cannot sign in.",
        "de": "die App kann sich nicht anmelden.",
    },
    "skip_app_user": {
        "en": "the application user is missing or disabled.",
        "de": "der Anwendungsbenutzer fehlt oder ist deaktiviert.",
    },
    "skip_timer": {
        "en": "only checked when an administrator opens this page.",
        "de": "wird nur geprüft, wenn eine Administration diese Seite öffnet.",
    },
    "skip_storage": {"en": "storage does not answer.", "de": "der Speicher antwortet nicht."},
    "skip_no_project": {
        "en": "no project yet to test with.",
        "de": "noch kein Projekt zum Testen.",
    },
    "fix_solution_import": {
        "en": "Import the cockpit's managed solution package in the Power Platform admin center (see the setup guide, step 1).",
        "de": "Importieren Sie das verwaltete Lösungspaket des Cockpits im Power Platform Admin Center (siehe Einrichtungsanleitung, Schritt 1).",
    },
    "fix_solution_managed": {
        "en": "Outside development, import the managed package instead.",
        "de": "Importieren Sie außerhalb der Entwicklung stattdessen das verwaltete Paket.",
    },
    "fix_target_choose": {
        "en": "Choose another target field on the “Target field” page.",
        "de": "Wählen Sie auf der Seite „Zielfeld“ ein anderes Zielfeld.",
    },
    "fix_target_range": {
        "en": "Set the column's minimum to 0 or less and maximum to 100 or more in Dynamics 365, or choose another field.",
        "de": "Setzen Sie in Dynamics 365 das Minimum der Spalte auf 0 oder weniger und das Maximum auf 100 oder mehr, oder wählen Sie ein anderes Feld.",
    },
    "fix_target_secured": {
        "en": "Give reps a field security profile that allows updating it, or choose an unsecured field.",
        "de": "Geben Sie dem Vertrieb ein Feldsicherheitsprofil mit Änderungsrecht, oder wählen Sie ein ungeschütztes Feld.",
    },
    "fix_app_credential": {
        "en": "Renew the app registration's certificate or secret and update the cockpit's configuration (see the deployment guide).",
        "de": "Erneuern Sie Zertifikat oder Geheimnis der App-Registrierung und aktualisieren Sie die Konfiguration des Cockpits (siehe Bereitstellungsanleitung).",
    },
    "fix_app_user_create": {
        "en": "Create an application user for this app in the Power Platform admin center and give it the cockpit's security role.",
        "de": "Legen Sie im Power Platform Admin Center einen Anwendungsbenutzer für diese App an und geben Sie ihm die Sicherheitsrolle des Cockpits.",
    },
    "fix_app_user_enable": {
        "en": "Enable the application user in the Power Platform admin center.",
        "de": "Aktivieren Sie den Anwendungsbenutzer im Power Platform Admin Center.",
    },
    "fix_app_impersonate": {
        "en": "Give the application user a role with the privilege “Act on Behalf of Another User”.",
        "de": "Geben Sie dem Anwendungsbenutzer eine Rolle mit dem Recht „Im Namen eines anderen Benutzers handeln“.",
    },
    "fix_app_write": {
        "en": "Give the application user organisation-wide read and write on opportunities (the cockpit's security role).",
        "de": "Geben Sie dem Anwendungsbenutzer organisationsweites Lese- und Schreibrecht auf Verkaufschancen (die Sicherheitsrolle des Cockpits).",
    },
    "fix_storage": {
        "en": "Check the storage account and the app's access to it in the Azure portal.",
        "de": "Prüfen Sie das Speicherkonto und den Zugriff der App darauf im Azure-Portal.",
    },
    "fix_tables": {
        "en": "Create the missing tables (the deployment does) and give the app's identity the Storage Table Data Contributor role.",
        "de": "Legen Sie die fehlenden Tabellen an (die Bereitstellung tut das) und geben Sie der Identität der App die Rolle „Storage Table Data Contributor“.",
    },
    "fix_key": {
        "en": "Set the token cache key in Key Vault to a 32-byte base64 value and restart the app.",
        "de": "Setzen Sie den Token-Cache-Schlüssel in Key Vault auf einen 32-Byte-Base64-Wert und starten Sie die App neu.",
    },
    "fix_try_again": {
        "en": "Try again in a minute; if it persists, look at the other checks first.",
        "de": "Versuchen Sie es in einer Minute erneut; bleibt es so, prüfen Sie zuerst die anderen Punkte.",
    },
}
