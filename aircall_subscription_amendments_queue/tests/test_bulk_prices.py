# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The bulk amendment's "set price" operation on 50 contracts, through the
job runner (issue 25): a price cut is a reduction (the notice rule), credited
on each contract on time; a rise is invoiced on every contract."""

from datetime import date
from fractions import Fraction

from freezegun import freeze_time

from odoo.addons.aircall_subscription_amendments import rules

from .common import trap_jobs
from .test_bulk import TODAY, BulkCase

#: 20 November in the period 6 November – 5 December: 16 days of 30
SHARE = Fraction(16, 30)


@freeze_time(TODAY)
class TestBulkSetPrice(BulkCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # 45 more contracts on time: 49 on time and 1 inside the notice period
        for _index in range(45):
            cls.on_time |= cls._contract(date(2024, 3, 6))
        cls.contracts = cls.on_time | cls.late

    def _set_price(self, price_unit, discount=0.0):
        bulk = self._bulk(
            [
                {
                    "action": "set_price",
                    "product_id": self.product_users.id,
                    "price_unit": price_unit,
                    "discount": discount,
                }
            ]
        )
        with trap_jobs() as trap:
            bulk.action_confirm()
            trap.assert_jobs_count(1)
            trap.assert_enqueued_job(bulk._run_chunk, args=(self.contracts.ids,))
            trap.perform_enqueued_jobs()
        return bulk

    def _amendment(self, bulk, subscription):
        return bulk.result_ids.filtered(
            lambda result: result.subscription_id == subscription
        ).amendment_id

    def _documents(self, amendment):
        """The documents an amendment made (searched: the manager reads none)."""
        return self.env["account.move"].search([("amendment_id", "=", amendment.id)])

    def test_a_price_cut_on_50_contracts(self):
        self.assertEqual(len(self.contracts), 50)
        bulk = self._set_price(20.0)
        self.assertEqual(
            (bulk.applied_count, bulk.refused_count, bulk.failed_count),
            (49, 1, 0),
        )
        # 10 users × (25.00 − 20.00) × 16/30
        credit = float(rules.round_amount(10 * 5 * SHARE, 2))
        for subscription in self.on_time:
            users = self._users(subscription)
            self.assertEqual((users.product_uom_qty, users.price_unit), (10, 20.0))
            amendment = self._amendment(bulk, subscription)
            self.assertEqual(amendment.amendment_type, "downgrade")
            moves = self._documents(amendment)
            self.assertEqual(moves.mapped("move_type"), ["out_refund"])
            self.assertEqual(moves.amount_untaxed, credit)
        self.assertEqual(self._users(self.late).price_unit, 25.0)
        self.assertIn("Too late to reduce or cancel", self._results(bulk)[self.late][1])

    def test_a_price_rise_on_50_contracts_is_invoiced_on_each(self):
        bulk = self._set_price(30.0)
        self.assertEqual((bulk.applied_count, bulk.refused_count), (50, 0))
        invoice = float(rules.round_amount(10 * 5 * SHARE, 2))
        for subscription in self.contracts:
            self.assertEqual(self._users(subscription).price_unit, 30.0)
            moves = self._documents(self._amendment(bulk, subscription))
            self.assertEqual(moves.mapped("move_type"), ["out_invoice"])
            self.assertEqual(moves.amount_untaxed, invoice)

    def test_the_forecast_judges_a_discount_by_value(self):
        bulk = self._bulk(
            [
                {
                    "action": "set_price",
                    "product_id": self.product_users.id,
                    "price_unit": 25.0,
                    "discount": 10.0,
                }
            ]
        )
        kind, accepted = bulk._forecast(self.late)
        self.assertEqual((kind, accepted), (rules.AmendmentKind.DOWNGRADE, False))
        kind, accepted = bulk._forecast(self.on_time[0])
        self.assertEqual((kind, accepted), (rules.AmendmentKind.DOWNGRADE, True))
