# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Constants and small helpers that every model and wizard of the addon may import.

Nothing here reads or writes records beyond the environment it is given; no
model imports another model's module for a constant: they come from here.
"""

import math
import warnings
from datetime import date
from decimal import Decimal

from odoo import fields
from odoo.exceptions import UserError, ValidationError
from odoo.tools.misc import formatLang

ADDON = "aircall_subscription_amendments"
USER_GROUP = "aircall_subscription_amendments.group_amendment_user"
ADMIN_GROUP = "aircall_subscription_amendments.group_amendment_admin"
#: the activity type of the reminder sent before a notice deadline
REMINDER_ACTIVITY = "aircall_subscription_amendments.mail_activity_notice_deadline"
#: the activity of the salesperson who answers a customer's change request
REQUEST_ACTIVITY = "aircall_subscription_amendments.mail_activity_amendment_request"

#: clause 13.1.b: the notice days when neither a template nor the company says
DEFAULT_NOTICE_DAYS = 30
DEFAULT_REMINDER_DAYS = 15
TERM_UNITS = [
    ("day", "Day(s)"),
    ("week", "Week(s)"),
    ("month", "Month(s)"),
    ("year", "Year(s)"),
]
MRR_KINDS = [
    ("new", "New"),
    ("expansion", "Expansion"),
    ("contraction", "Contraction"),
    ("churn", "Churn"),
    ("reactivation", "Reactivation"),
]
AMENDMENT_TYPES = [
    ("upgrade", "Upgrade"),
    ("downgrade", "Downgrade"),
    ("mixed", "Mixed change"),
    ("cancellation", "Cancellation"),
]
#: when a reduction takes effect (``rules.ReductionTiming``)
REDUCTION_TIMINGS = [
    ("immediate", "Immediately, with a prorated credit note"),
    ("period_end", "At the end of the invoiced period, nothing credited"),
    ("renewal", "At the renewal date, nothing credited"),
]


class ConcurrentAmendmentError(UserError):
    """Another transaction holds the subscription, one of its amendments or a
    document of its period: trying again in a moment will do (the queue bridge
    retries the job), unlike a refusal."""


# -- internal context keys ----------------------------------------------------
# A context key may select a behaviour, never grant a right: every RPC client
# sets the context of its calls. The keys below switch a guard off, so their
# only accepted value is INTERNAL, an object that exists in this process only.
# A client sends JSON or XML-RPC values, never this object, so
# ``is_internal(records, KEY)`` holds only when the addon's own code set KEY.

INTERNAL = object()
#: the amendment path writes the lines and the renewal of a running contract
APPLY_CONTEXT = "aircall_amendment_apply"
#: a customer's change request, whose requester was checked before the create
#: (``sale.subscription._ensure_portal_requester``)
REQUEST_CONTEXT = "aircall_amendment_request"
#: the caller records the revenue movement of this change itself, with the
#: change's effective date (the amendment path, the renewal cron)
MRR_DEFERRED = "aircall_mrr_deferred"
#: the addon's own code records a revenue movement (nobody else creates one)
MRR_RECORD = "aircall_mrr_record"
#: the addon's own bookkeeping writes a derived value (``ensure_no_derived_values``)
DERIVED_WRITE = "aircall_derived_write"
#: subscription_oca's invoicing moves the next invoice date of the contracts it bills
INVOICING = "aircall_invoicing"
INTERNAL_KEYS = (
    APPLY_CONTEXT,
    REQUEST_CONTEXT,
    MRR_DEFERRED,
    MRR_RECORD,
    DERIVED_WRITE,
    INVOICING,
)
#: context key of an ``Override``: an amendment administrator's reason for a
#: change the contract invariant refuses
OVERRIDE = "aircall_override"


class Override:
    """An amendment administrator's reason for a change that lowers a running
    contract's value, stops it or moves its renewal.

    A context value: an object of this process, made by ``write_with_override``
    once it checked the user and the reason; a client can send none.
    """

    def __init__(self, reason):
        self.reason = reason


def public_context(context):
    """``context`` without the values only this process can make (internal
    keys, an ``Override``): what may be returned to a client."""
    return {
        key: value
        for key, value in context.items()
        if value is not INTERNAL and not isinstance(value, Override)
    }


def override_reason(records):
    """The reason of the ``Override`` the addon's code put in the context, or None."""
    override = records.env.context.get(OVERRIDE)
    return override.reason if isinstance(override, Override) else None


def internal(records, key):
    """``records`` with the internal context key ``key`` set."""
    return records.with_context(**{key: INTERNAL})


def is_internal(records, key):
    """Whether the addon's own code set ``key`` in the context of ``records``."""
    return records.env.context.get(key) is INTERNAL


def company_today(company):
    """Today in ``company``'s notice timezone (``amendment_timezone``, UTC by
    default): the day the notice rule counts in, the same for everyone.

    Neither the context's ``tz`` (a client sets that on every call) nor the
    user's own (any user may write it): a timezone west of UTC would give
    yesterday, and move a deadline.
    """
    company.ensure_one()
    tz = company.sudo().amendment_timezone or "UTC"
    return fields.Date.context_today(company.with_context(tz=tz))


def rule_today(records, company=None):
    """``company_today`` of ``company``, else of the environment's company."""
    return company_today(company or records.env.company)


def company_days(companies):
    """{company: its ``company_today``}: one day per company."""
    return {company: company_today(company) for company in companies}


# -- values as a client sent them, before the ORM converts them ---------------


def check_ids(model, vals):
    """The many2one values of ``vals`` for ``model`` are ids of existing records.

    Checked before the ORM writes them, so that a client's unknown id is told
    as such (the database would only report a foreign key).
    """
    for name, value in vals.items():
        field = model._fields.get(name)
        if field is None or field.type != "many2one" or value in (False, None):
            continue
        comodel = model.env[field.comodel_name]
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not comodel.browse(value).exists()
        ):
            raise ValidationError(
                model.env._(
                    "%(field)s: %(value)s is not the id of an existing %(model)s.",
                    field=field._description_string(model.env),
                    value=repr(value),
                    model=comodel._description,
                )
            )


def check_dates(model, vals, names):
    """The dates ``names`` of ``vals`` are dates or ``YYYY-MM-DD`` strings (the
    ORM would take a list, and fail with a message about ``strptime``)."""
    for name in names:
        value = vals.get(name)
        if value in (None, False):
            continue
        try:
            if not isinstance(value, str | date):
                raise TypeError(value)
            fields.Date.to_date(value)
        except (TypeError, ValueError):
            raise ValidationError(
                model.env._(
                    "%(field)s must be a date (YYYY-MM-DD), not %(value)s.",
                    field=model._fields[name]._description_string(model.env),
                    value=repr(value),
                )
            ) from None


def check_numbers(model, vals, names, maximum=None):
    """The numbers ``names`` of ``vals`` are finite, zero or more (and at most
    ``maximum``), as a client sent them: the ORM would take text for a number
    and NaN or infinity for a float, and a SQL ``CHECK (x >= 0)`` accepts NaN."""
    for name in names:
        value = vals.get(name)
        if value is None or value is False:
            continue
        label = model._fields[name]._description_string(model.env)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise ValidationError(
                model.env._(
                    "%(field)s must be a number, not %(value)s.",
                    field=label,
                    value=repr(value),
                )
            )
        if value < 0:
            raise ValidationError(
                model.env._(
                    "%(field)s cannot be negative (%(value)s).",
                    field=label,
                    value=value,
                )
            )
        if maximum is not None and value > maximum:
            shown = f"{maximum:,}"
            raise ValidationError(
                model.env._(
                    "%(field)s cannot exceed %(max)s (%(value)s).",
                    field=label,
                    max=shown,
                    value=value,
                )
            )


def non_negative(name):
    """The SQL constraint, in addition to ``check_numbers``, for ``name``."""
    return (
        f"{name}_non_negative",
        f"CHECK({name} >= 0)",
        f"{name.replace('_', ' ').capitalize()} cannot be negative.",
    )


# -- words -----------------------------------------------------------------------


def format_quantity(env, value, sign=False):
    """A quantity in ``env``'s language, without useless decimals: 10, 2.5,
    7,5 in French; ``sign``: +2 and −2 (a true minus sign)."""
    exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    decimals = max(0, -exact.normalize().as_tuple().exponent)
    text = formatLang(env, float(exact), digits=decimals)
    if sign and exact > 0:
        text = "+" + text
    return text.replace("-", "−")


def deprecated_alias(name):
    """A method kept for one version under its former name: it warns and calls
    ``name`` (readme/HISTORY.md lists the renames)."""

    def alias(self, *args, **kwargs):
        warnings.warn(
            f"renamed {name} (aircall_subscription_amendments 18.0.1.1.0)",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(self, name)(*args, **kwargs)

    alias.__doc__ = f"Deprecated: use ``{name}``."
    return alias


# -- derived values: the addon's, never a client's ------------------------------------

#: the addon's stored fields a client sends on purpose although the UI shows them
#: read-only: the snapshot an amendment line is compared with (its create checks it)
CLIENT_SENT = frozenset({"old_quantity"})
#: the models whose other modules' stored computed fields are derived values too
#: (subscription_oca's: a contract's boundary flag, totals, currency; a line's
#: company, currency and subtotals)
GUARDED_MODELS = frozenset({"sale.subscription", "sale.subscription.line"})


def _is_derived(model, field, writing):
    """A stored, read-only field without an inverse that no copy writes: the
    addon's own (computed or bookkeeping); once a record exists
    (``writing``), on ``GUARDED_MODELS``, also any module's computed or related
    one (subscription_oca takes some of them in ``create``, as its sale
    orders and forms send them)."""
    if not (field.store and field.readonly and not field.inverse and not field.copy):
        return False
    if ADDON in (field._modules or ()):
        return field.name not in CLIENT_SENT
    return (
        writing
        and model._name in GUARDED_MODELS
        and bool(field.compute or field.related)
    )


def derived_fields(model, writing=False):
    """The names of ``model``'s stored fields that clients give no value to
    (``_is_derived``); ``writing``: once a record exists, also the addon's
    read-only fields that a copy sets (a credit note line's link to its
    subscription line, the unit price it was prorated from): set when core's
    *Credit Note* button copies them, never rewritten. Found by
    introspection, so that a field added later is covered."""
    registry = model.env.registry
    cache = registry.__dict__.setdefault("_aircall_derived_fields", {})
    key = (model._name, writing)
    names = cache.get(key)
    if names is None:
        names = frozenset(
            name
            for name, field in model._fields.items()
            if _is_derived(model, field, writing)
            or (
                writing
                and field.store
                and field.readonly
                and field.copy
                and ADDON in (field._modules or ())
                and name not in CLIENT_SENT
            )
        )
        cache[key] = names
    return names


def ensure_no_derived_values(model, vals_list, writing=False):
    """Refuse ``vals_list`` (or the context's ``default_<field>``) giving a
    value to one of ``derived_fields(model, writing)``, unless the addon's own
    code writes it (``DERIVED_WRITE``, or the amendment path,
    ``APPLY_CONTEXT``)."""
    if is_internal(model, DERIVED_WRITE) or is_internal(model, APPLY_CONTEXT):
        return
    names = derived_fields(model, writing)
    if not names:
        return
    sent = set()
    for vals in vals_list:
        sent |= names & set(vals)
    if not writing:
        sent |= {
            key[len("default_") :]
            for key in model.env.context
            if key.startswith("default_") and key[len("default_") :] in names
        }
    if sent:
        raise UserError(
            model.env._(
                "%(fields)s of %(model)s are computed by the application: they "
                "cannot be given a value.",
                fields=", ".join(
                    sorted(
                        model._fields[name]._description_string(model.env)
                        for name in sent
                    )
                ),
                model=model._description,
            )
        )
