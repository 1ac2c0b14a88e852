# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Constants and small helpers that every model and wizard of the addon may import.

Nothing here reads or writes records beyond the environment it is given.
"""

from odoo import fields
from odoo.exceptions import ValidationError

USER_GROUP = "aircall_subscription_amendments.group_amendment_user"
ADMIN_GROUP = "aircall_subscription_amendments.group_amendment_admin"

# -- internal context keys ----------------------------------------------------
# A context key may select a behaviour, never grant a right: every RPC client
# sets the context of its calls. The keys below switch a guard off, so their
# only accepted value is INTERNAL, an object that exists in this process only.
# A client sends JSON or XML-RPC values, never this object, so
# ``is_internal(records, KEY)`` holds only when the addon's own code set KEY.

INTERNAL = object()
#: the amendment path writes the lines and the renewal of a running contract
APPLY_CONTEXT = "aircall_amendment_apply"
#: the cancellation (closing, archiving, not renewing) was checked before the write
CANCELLATION_CHECKED = "aircall_cancellation_checked"
INTERNAL_KEYS = (APPLY_CONTEXT, CANCELLATION_CHECKED)


def internal(records, key):
    """``records`` with the internal context key ``key`` set."""
    return records.with_context(**{key: INTERNAL})


def is_internal(records, key):
    """Whether the addon's own code set ``key`` in the context of ``records``."""
    return records.env.context.get(key) is INTERNAL


def user_today(records):
    """Today in the user's stored timezone (UTC when the user has none).

    What the notice rule counts in. Not the context's ``tz``: a client sets
    that on every call, and a timezone west of UTC would give yesterday.
    """
    user_tz = records.env.user.tz or "UTC"
    return fields.Date.context_today(records.with_context(tz=user_tz))


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


def format_quantity(value):
    """A quantity without useless decimals: 10, 2.5."""
    return f"{value:.6f}".rstrip("0").rstrip(".")
