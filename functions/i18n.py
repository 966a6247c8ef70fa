"""English and German texts for pages and error messages.

The language comes from Dynamics' ``userlcid`` (1031 → German) when the cockpit is launched, else
from ``Accept-Language``. Texts are looked up by key; a missing German text falls back to English.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

Lang = Literal["en", "de"]

# LCIDs Dynamics passes (userlcid/orglcid) that map to German: de-DE, de-CH, de-AT, de-LU, de-LI.
_GERMAN_LCIDS = {1031, 2055, 3079, 4103, 5127}

MESSAGES: dict[str, dict[Lang, str]] = {
    # --- errors (keys are CockpitError.code values) -------------------------------------------
    "error": {"en": "Something went wrong.", "de": "Etwas ist schiefgelaufen."},
    "invalid_input": {
        "en": "The request is not valid: {detail}",
        "de": "Die Anfrage ist ungültig: {detail}",
    },
    "invalid_key": {
        "en": "{what} contains characters that cannot be used.",
        "de": "{what} enthält Zeichen, die nicht verwendet werden können.",
    },
    "invalid_guid": {
        "en": "The {what} is not a valid record id (a GUID was expected).",
        "de": "Die {what} ist keine gültige Datensatz-ID (erwartet wird eine GUID).",
    },
    "invalid_org": {
        "en": "The organisation name is not valid.",
        "de": "Der Organisationsname ist ungültig.",
    },
    "not_signed_in": {"en": "Please sign in.", "de": "Bitte melden Sie sich an."},
    "reauth_required": {
        "en": "Your sign-in has expired. Please sign in again.",
        "de": "Ihre Anmeldung ist abgelaufen. Bitte melden Sie sich erneut an.",
    },
    "forbidden": {"en": "You are not allowed to do this.", "de": "Dazu sind Sie nicht berechtigt."},
    "not_found": {"en": "Not found.", "de": "Nicht gefunden."},
    "conflict": {
        "en": "Someone else changed this at the same time. Reload the page and try again.",
        "de": "Jemand anderes hat dies gleichzeitig geändert. Laden Sie die Seite neu und versuchen Sie es erneut.",
    },
    "configuration_invalid": {
        "en": "The cockpit's CRM settings need attention: {detail} Please ask your cockpit administrator.",
        "de": "Die CRM-Einstellungen des Cockpits müssen geprüft werden: {detail} Bitte wenden Sie sich an Ihre Cockpit-Administration.",
    },
    "storage_unavailable": {
        "en": "The cockpit's storage is not reachable right now. Please try again in a minute.",
        "de": "Der Speicher des Cockpits ist gerade nicht erreichbar. Bitte versuchen Sie es in einer Minute erneut.",
    },
    "crm_error": {
        "en": "Dynamics 365 reported an error.",
        "de": "Dynamics 365 hat einen Fehler gemeldet.",
    },
    "crm_not_found": {
        "en": "This opportunity no longer exists in Dynamics 365 (it may have been deleted).",
        "de": "Diese Verkaufschance existiert in Dynamics 365 nicht mehr (sie wurde möglicherweise gelöscht).",
    },
    "crm_access_denied": {
        "en": "Dynamics 365 does not allow you to do this for this opportunity. Ask your CRM administrator for the privilege, or ask the owner.",
        "de": "Dynamics 365 erlaubt Ihnen dies für diese Verkaufschance nicht. Bitten Sie Ihre CRM-Administration um die Berechtigung oder wenden Sie sich an den Besitzer.",
    },
    "crm_field_secured": {
        "en": "The target field is protected by field security in Dynamics 365 and you may not change it. Ask your CRM administrator for a field security profile.",
        "de": "Das Zielfeld ist in Dynamics 365 durch Feldsicherheit geschützt und Sie dürfen es nicht ändern. Bitten Sie Ihre CRM-Administration um ein Feldsicherheitsprofil.",
    },
    "crm_record_closed": {
        "en": "This opportunity is closed (won or lost), so the probability was not written to Dynamics 365.",
        "de": "Diese Verkaufschance ist geschlossen (gewonnen oder verloren), daher wurde die Wahrscheinlichkeit nicht in Dynamics 365 geschrieben.",
    },
    "crm_conflict": {
        "en": "The opportunity was changed in Dynamics 365 meanwhile. Reload and try again.",
        "de": "Die Verkaufschance wurde in der Zwischenzeit in Dynamics 365 geändert. Laden Sie neu und versuchen Sie es erneut.",
    },
    "crm_rejected": {
        "en": "Dynamics 365 rejected the request. Please ask your cockpit administrator to check the settings.",
        "de": "Dynamics 365 hat die Anfrage abgelehnt. Bitten Sie Ihre Cockpit-Administration, die Einstellungen zu prüfen.",
    },
    "crm_busy": {
        "en": "Dynamics 365 is busy right now (too many requests). Please wait a moment and try again.",
        "de": "Dynamics 365 ist gerade ausgelastet (zu viele Anfragen). Bitte warten Sie einen Moment und versuchen Sie es erneut.",
    },
    "crm_unavailable": {
        "en": "Dynamics 365 is not reachable right now. Please try again later.",
        "de": "Dynamics 365 ist gerade nicht erreichbar. Bitte versuchen Sie es später erneut.",
    },
    # --- identity ----------------------------------------------------------------------------
    "sign_in_failed": {
        "en": "Sign-in did not complete ({error}). Please try again.",
        "de": "Die Anmeldung wurde nicht abgeschlossen ({error}). Bitte versuchen Sie es erneut.",
    },
    "login_expired": {
        "en": "This sign-in link has expired or was already used. Please start the sign-in again.",
        "de": "Dieser Anmeldelink ist abgelaufen oder wurde bereits verwendet. Bitte melden Sie sich erneut an.",
    },
    "login_not_yours": {
        "en": "This sign-in was started in another browser. Please start the sign-in here.",
        "de": "Diese Anmeldung wurde in einem anderen Browser begonnen. Bitte melden Sie sich hier an.",
    },
    "tenant_not_allowed": {
        "en": "Your organisation is not enabled for this cockpit. Ask your administrator.",
        "de": "Ihre Organisation ist für dieses Cockpit nicht freigeschaltet. Wenden Sie sich an Ihre Administration.",
    },
    "invalid_next": {
        "en": "The return address must be a page of this site.",
        "de": "Die Rücksprungadresse muss eine Seite dieser Website sein.",
    },
    "invalid_token": {
        "en": "The access token is not valid.",
        "de": "Das Zugriffstoken ist ungültig.",
    },
    "insufficient_scope": {
        "en": "The access token does not grant access to the cockpit API.",
        "de": "Das Zugriffstoken erlaubt keinen Zugriff auf die Cockpit-API.",
    },
    "csrf_failed": {
        "en": "This request did not come from the cockpit's own page. Reload the page and try again.",
        "de": "Diese Anfrage kam nicht von der Cockpit-Seite selbst. Laden Sie die Seite neu und versuchen Sie es erneut.",
    },
    "admin_only": {
        "en": "Only cockpit administrators may do this.",
        "de": "Nur Cockpit-Administratoren dürfen das.",
    },
    "org_not_allowed": {
        "en": "This Dynamics 365 organisation is not configured for your tenant.",
        "de": "Diese Dynamics-365-Organisation ist für Ihren Mandanten nicht eingerichtet.",
    },
    "signed_in_title": {"en": "You are signed in", "de": "Sie sind angemeldet"},
    "signed_in_return": {
        "en": "You can close this window and return to Dynamics 365. Click “Continue” in the cockpit tab.",
        "de": "Sie können dieses Fenster schließen und zu Dynamics 365 zurückkehren. Klicken Sie im Cockpit-Tab auf „Weiter“.",
    },
    "signed_out_title": {"en": "Signed out", "de": "Abgemeldet"},
    "signed_out": {
        "en": "You have been signed out of the cockpit.",
        "de": "Sie wurden vom Cockpit abgemeldet.",
    },
    "sign_in": {"en": "Sign in", "de": "Anmelden"},
    "sign_out": {"en": "Sign out", "de": "Abmelden"},
    "reauth_fresh": {
        "en": "You just signed in, but the cockpit still cannot get access to Dynamics 365 for you ({detail}). Ask your administrator whether the app has consent for Dynamics 365.",
        "de": "Sie haben sich gerade angemeldet, aber das Cockpit erhält für Sie weiterhin keinen Zugriff auf Dynamics 365 ({detail}). Fragen Sie Ihre Administration, ob die App die Zustimmung für Dynamics 365 hat.",
    },
    # --- qualification --------------------------------------------------------------------------
    "invalid_solution": {
        "en": "The solution is not valid: {detail}",
        "de": "Die Lösung ist ungültig: {detail}",
    },
    "invalid_answer": {
        "en": "An answer does not fit the solution: {detail}",
        "de": "Eine Antwort passt nicht zur Lösung: {detail}",
    },
    "invalid_probability": {
        "en": "The probability is not valid.",
        "de": "Die Wahrscheinlichkeit ist ungültig.",
    },
    "solution_not_found": {
        "en": "This solution does not exist (or not in this version).",
        "de": "Diese Lösung existiert nicht (oder nicht in dieser Version).",
    },
    "project_not_found": {
        "en": "There is no cockpit project for this opportunity yet. Open it from Dynamics 365 first.",
        "de": "Für diese Verkaufschance gibt es noch kein Cockpit-Projekt. Öffnen Sie es zuerst aus Dynamics 365.",
    },
    "target_field_refused": {
        "en": "This field cannot receive the probability: {detail}",
        "de": "Dieses Feld kann die Wahrscheinlichkeit nicht aufnehmen: {detail}",
    },
    "value_out_of_range": {
        "en": "The probability does not fit the target field's range. Ask your cockpit administrator to choose another field.",
        "de": "Die Wahrscheinlichkeit passt nicht in den Wertebereich des Zielfelds. Bitten Sie Ihre Cockpit-Administration, ein anderes Feld zu wählen.",
    },
    "internal_error": {
        "en": "An unexpected error occurred. Please try again; if it persists, give your administrator this reference: {reference}",
        "de": "Ein unerwarteter Fehler ist aufgetreten. Bitte versuchen Sie es erneut; wenn er bleibt, nennen Sie Ihrer Administration diese Referenz: {reference}",
    },
}


def lang_from(*, userlcid: str | None = None, accept_language: str | None = None) -> Lang:
    """German for a German LCID or a German-first Accept-Language, else English."""
    if userlcid:
        try:
            return "de" if int(userlcid) in _GERMAN_LCIDS else "en"
        except ValueError:
            pass
    if accept_language:
        first = accept_language.split(",", 1)[0].strip().lower()
        if first.startswith("de"):
            return "de"
    return "en"


class _Blank(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return ""


def t(key: str, lang: Lang, params: Mapping[str, object] | None = None) -> str:
    """The text for ``key`` in ``lang``; placeholders filled from ``params`` (missing → empty)."""
    entry = MESSAGES.get(key) or MESSAGES["error"]
    text = entry.get(lang) or entry["en"]
    return text.format_map(_Blank(params or {})).strip()
