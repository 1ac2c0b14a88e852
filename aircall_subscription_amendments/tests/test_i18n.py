# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The French translation, as a user whose language is French sees it.

Field labels, selection values and view strings are database terms: they come
from i18n/fr.po once the module's terms are loaded for fr_FR. Messages raised
from Python are read from the same file when first asked.

Contract (see test_wizard): renewal 6 January 2025, notice deadline 7 December
2024.
"""

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import new_test_user

from .test_wizard import MANAGER_GROUPS, WizardCase


class TestFrench(WizardCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.env["ir.module.module"]._load_module_terms(
            ["aircall_subscription_amendments"], ["fr_FR"], overwrite=True
        )
        cls.french_manager = new_test_user(
            cls.env, login="gestionnaire", groups=MANAGER_GROUPS, lang="fr_FR"
        )
        cls.french_admin = new_test_user(
            cls.env,
            login="administratrice",
            groups="aircall_subscription_amendments.group_amendment_admin",
            lang="fr_FR",
        )

    def _french_env(self, user=None):
        """The environment of a request by a French user, in their own context."""
        user = user or self.french_manager
        context = user.with_user(user).context_get()  # what the web client sends
        return self.env(user=user, context=dict(self.env.context, **context))

    @freeze_time("2024-12-08")
    def test_late_downgrade_refusal_in_french(self):
        env = self._french_env()
        self.assertEqual(env.lang, "fr_FR")
        with self.assertRaises(UserError) as refusal:
            env["sale.subscription.amendment"].create_and_apply(
                {
                    "subscription_id": self.subscription.id,
                    "line_ids": [
                        Command.create(
                            {
                                "subscription_line_id": self.users_line.id,
                                "new_quantity": 6,
                            }
                        )
                    ],
                }
            )
        self.assertEqual(
            str(refusal.exception),
            f"Trop tard pour réduire ou annuler {self.subscription.display_name} : "
            "ces modifications devaient être soumises au plus tard à la fin du "
            "07/12/2024 (UTC), 30 jours avant la date de renouvellement du "
            "06/01/2025 (1 jour(s) de retard). Le contrat est renouvelé aux "
            "conditions actuelles le 06/01/2025. Elle est dans les délais pour le "
            "renouvellement du 06/01/2026 : planifiez-la pour ce jour-là (date "
            "d'effet 06/01/2026).",
        )

    def test_field_labels_and_selection_values_in_french(self):
        env = self._french_env()
        subscription_fields = env["sale.subscription"].fields_get(
            ["notice_deadline", "renewal_date", "term_interval"], ["string"]
        )
        self.assertEqual(
            {name: field["string"] for name, field in subscription_fields.items()},
            {
                "notice_deadline": "Date limite de préavis",
                "renewal_date": "Date de renouvellement",
                "term_interval": "Durée d'engagement",
            },
        )
        amendment_type = env["sale.subscription.amendment"].fields_get(
            ["amendment_type"], ["string", "selection"]
        )["amendment_type"]
        self.assertEqual(
            dict(amendment_type["selection"]),
            {
                "upgrade": "Mise à niveau",
                "downgrade": "Réduction",
                "mixed": "Modification mixte",
                "cancellation": "Annulation",
            },
        )

    def test_wizard_view_in_french(self):
        env = self._french_env(self.french_admin)
        arch = env["sale.subscription.amendment.wizard"].get_views([(False, "form")])[
            "views"
        ]["form"]["arch"]
        self.assertIn('string="Avenant à l\'abonnement"', arch)
        self.assertIn("Obligatoire pour réduire ou annuler", arch)
