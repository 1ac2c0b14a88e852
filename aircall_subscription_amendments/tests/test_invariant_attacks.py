# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The notice rule as an invariant of the contract: the attacks of issue
"Security II", each played by the role that can attempt it, in process (what
``execute_kw`` does: ``with_user()``), 13 days after the notice deadline.

The contract: 10 users at 30.00 and 3 phone numbers at 6.00, started on
6 January 2024 for 12-month terms, the salesman's own; it renews on 6 January
2025, its notice deadline is 7 December 2024, and the period 6 December 2024 –
5 January 2025 is invoiced. Each refusal leaves every row as it was.
"""

from contextlib import closing
from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError

from .. import tools
from .common_security import RolesCase

LATE = "2024-12-20"  # 13 days after the notice deadline
REASON = "the customer's written request, lost in the mail"


class InvariantCase(RolesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman = cls.users["salesman"]
        cls.manager = cls.users["amendment user"]
        cls.admin = cls.users["amendment admin"]
        cls.product_users.list_price = 30.0
        # its stored dates as the daily cron left them in December 2024
        with freeze_time("2024-12-01"):
            cls.running = cls._create_subscription(
                lines=[(cls.product_users, 10), (cls.product_numbers, 3)],
                user_id=cls.salesman.id,
            )
            cls._start(cls.running)
            cls.invoice = cls._invoice_period(cls.running, date(2024, 12, 6))
        cls.users_line, cls.numbers_line = cls.running.sale_subscription_line_ids
        cls.in_progress_stage = cls.running.stage_id
        cls.Amendment = cls.env["sale.subscription.amendment"]

    def _reduction(self, quantity=1, **values):
        return {
            "subscription_id": self.running.id,
            "line_ids": [
                Command.create(
                    {
                        "subscription_line_id": self.users_line.id,
                        "new_quantity": quantity,
                    }
                )
            ],
            **values,
        }

    def assertRefused(self, call, exception=UserError, regex=".", what=""):
        """``call()`` raises ``exception`` matching ``regex``, and nothing in
        the database changed."""
        before = self.fingerprint()
        with closing(self.env.cr.savepoint()):
            with self.assertRaisesRegex(exception, regex, msg=what):
                call()
        self.env.invalidate_all()
        self.assertUnchanged(before, what or regex)

    def assertRunsAsBefore(self):
        self.env.invalidate_all()
        running = self.running
        self.assertTrue(running.in_progress and running.active and running.auto_renew)
        self.assertEqual(
            (running.date_start, running.term_interval, running.date),
            (date(2024, 1, 6), 12, False),
        )
        self.assertEqual(
            [
                (line.product_uom_qty, line.price_unit, line.discount)
                for line in running.sale_subscription_line_ids
            ],
            [(10, 30.0, 0.0), (3, 6.0, 0.0)],
        )


@freeze_time(LATE)
class TestTheLabelIsNotTheChange(InvariantCase):
    def test_a_stored_type_cannot_be_written(self):
        draft = self.Amendment.with_user(self.manager).create(self._reduction())
        self.assertEqual(draft.amendment_type, "downgrade")
        self.assertRefused(
            lambda: draft.write({"amendment_type": "upgrade"}),
            regex="computed by the application",
        )
        self.assertRefused(
            lambda: (
                self.Amendment.with_user(self.manager)
                .with_context(default_amendment_type="upgrade")
                .create(self._reduction())
            ),
            regex="computed by the application",
        )

    def test_the_notice_rule_reads_the_plan_not_the_label(self):
        """A label written past every guard (data of an earlier version, a
        direct SQL write) changes nothing: the plan's kind is judged."""
        draft = self.Amendment.with_user(self.manager).create(self._reduction())
        self.env.cr.execute(
            "UPDATE sale_subscription_amendment SET amendment_type = 'upgrade' "
            "WHERE id = %s",
            [draft.id],
        )
        draft.invalidate_recordset()
        self.assertEqual(draft.amendment_type, "upgrade")
        self.assertRefused(
            draft.action_apply, regex="Too late to reduce .*13 day\\(s\\) late"
        )
        self.assertRunsAsBefore()

    def test_an_applied_amendment_is_labelled_by_its_plan(self):
        with freeze_time("2024-12-01"):
            draft = self.Amendment.with_user(self.manager).create(self._reduction(8))
            self.env.cr.execute(
                "UPDATE sale_subscription_amendment SET amendment_type = 'upgrade' "
                "WHERE id = %s",
                [draft.id],
            )
            draft.invalidate_recordset()
            draft.action_apply()
        self.assertEqual((draft.state, draft.amendment_type), ("done", "downgrade"))


@freeze_time(LATE)
class TestStoredDates(InvariantCase):
    DERIVED = {
        "renewal_date": "2000-01-01",
        "notice_deadline": "2030-01-01",
        "amendment_cron_date": "2024-12-20",
        "notice_reminder_renewal_date": "2025-01-06",
    }

    def test_derived_dates_take_no_value_from_a_client(self):
        for role in ("salesman", "amendment user", "amendment admin"):
            contract = self.running.with_user(self.users[role])
            for fname, value in self.DERIVED.items():
                self.assertRefused(
                    lambda contract=contract, fname=fname, value=value: contract.write(
                        {fname: value}
                    ),
                    regex="computed by the application",
                    what=f"{role} writes {fname}",
                )
        # nor through a new contract's defaults
        self.assertRefused(
            lambda: (
                self.env["sale.subscription"]
                .with_user(self.manager)
                .with_context(default_renewal_date="2000-01-01")
                .create(
                    {
                        "partner_id": self.partner.id,
                        "pricelist_id": self.pricelist.id,
                        "template_id": self.template.id,
                    }
                )
            ),
            regex="computed by the application",
        )

    def test_the_addons_own_bookkeeping_and_fields_found_by_introspection(self):
        derived = tools.derived_fields(self.env["sale.subscription"])
        self.assertLessEqual(set(self.DERIVED), derived)
        # editable computed fields keep their access rules
        self.assertFalse(
            {"term_interval", "notice_days", "auto_renew", "override_reason"} & derived
        )
        self.assertIn("amendment_type", tools.derived_fields(self.Amendment))
        move_fields = tools.derived_fields(self.env["account.move"])
        self.assertLessEqual(
            {"subscription_period_start", "subscription_period_next_start"},
            move_fields,
        )
        # what core's Credit Note button copies stays writable
        self.assertFalse(
            {"subscription_line_id", "subscription_price_unit"}
            & tools.derived_fields(self.env["account.move.line"])
        )
        self.assertRefused(
            lambda: self.invoice.write({"subscription_period_start": "2024-01-01"}),
            regex="computed by the application",
        )

    def test_a_closed_contract_by_a_forged_renewal_date_is_refused(self):
        """A stored renewal date that is not a renewal of the contract's terms
        (forged past the guard) does not end its term."""
        self.env.cr.execute(
            "UPDATE sale_subscription SET renewal_date = '2000-01-01' WHERE id = %s",
            [self.running.id],
        )
        self.running.invalidate_recordset()
        for role in ("salesman", "amendment user"):
            self.assertRefused(
                self.running.with_user(self.users[role]).close_subscription,
                regex="Too late to reduce or cancel",
                what=role,
            )
        self.assertTrue(self.running.in_progress)

    def test_the_renewal_day_itself_ends_the_term(self):
        with freeze_time("2025-01-06"):
            self.running.with_user(self.manager).close_subscription()
        self.assertFalse(self.running.in_progress)


@freeze_time(LATE)
class TestStageTypes(InvariantCase):
    def test_a_salesman_cannot_retype_or_delete_a_running_stage(self):
        stage = self.in_progress_stage.with_user(self.salesman)
        self.assertRefused(
            lambda: stage.write({"type": "draft"}),
            AccessError,
            "only a subscription-amendment administrator",
        )
        self.assertRefused(stage.unlink, AccessError, "administrator")
        # its name is theirs
        stage.write({"name": "Running"})
        self.assertEqual(self.in_progress_stage.name, "Running")

    def test_a_retyped_stage_does_not_free_the_lines(self):
        """Retyped past the guard (an administrator did, or SQL): the contract
        runs as long as it is in progress, whatever its stage says."""
        self.env.cr.execute(
            "UPDATE sale_subscription_stage SET type = 'draft' WHERE id = %s",
            [self.in_progress_stage.id],
        )
        self.in_progress_stage.invalidate_recordset()
        line = self.users_line.with_user(self.salesman)
        self.assertRefused(
            lambda: line.write({"product_uom_qty": 1}),
            regex="only through an amendment",
        )
        self.assertRefused(
            lambda: self.running.with_user(self.salesman).write(
                {
                    "sale_subscription_line_ids": [
                        Command.update(line.id, {"discount": 90})
                    ]
                }
            ),
            regex="only through an amendment",
        )
        self.assertRunsAsBefore()

    def test_moving_to_a_draft_stage_is_a_late_cancellation(self):
        draft_stage = self.env["sale.subscription.stage"].search(
            [("type", "=", "draft")], limit=1
        )
        self.assertRefused(
            lambda: self.running.with_user(self.salesman).write(
                {"stage_id": draft_stage.id}
            ),
            regex="it stops the contract.*Too late",
        )


class TestParkedDrafts(InvariantCase):
    def test_a_draft_is_judged_on_the_day_it_is_applied(self):
        with freeze_time("2024-12-01"):
            draft = self.Amendment.with_user(self.manager).create(
                {"subscription_id": self.running.id}
            )
            self.assertEqual(draft.request_date, date(2024, 12, 1))
        with freeze_time(LATE):
            draft.write(
                {
                    "effective_date": LATE,
                    "line_ids": self._reduction()["line_ids"],
                }
            )
            self.assertRefused(draft.action_apply, regex="13 day\\(s\\) late")
        self.assertRunsAsBefore()

    def test_credits_do_not_reach_back_to_the_drafts_day(self):
        self._invoice_period(self.running, date(2024, 11, 6))
        self.running.recurring_next_date = date(2025, 1, 6)
        with freeze_time("2024-12-01"):
            draft = self.Amendment.with_user(self.manager).create(self._reduction(6))
        with freeze_time("2024-12-05"):
            self.assertRefused(
                draft.action_apply,
                ValidationError,
                "The effective date 12/01/2024 is before the request date 12/05/2024",
            )
            draft.effective_date = date(2024, 12, 5)
            draft.action_apply()
        self.assertEqual(draft.request_date, date(2024, 12, 5))
        self.assertEqual(draft.state, "done")
        labels = draft.move_ids.invoice_line_ids.mapped("name")
        # November's period is credited from the day it was applied, not the 1st
        self.assertIn("Users: 10 → 6 (−4) · 12/05/2024 – 12/05/2024 (3 %)", labels)
        self.assertIn("Users: 10 → 6 (−4) · 12/06/2024 – 01/05/2025 (100 %)", labels)

    def test_an_administrators_request_date_stays_theirs(self):
        with freeze_time("2024-12-01"):
            draft = self.Amendment.with_user(self.admin).create(
                self._reduction(6, request_date="2024-12-01", effective_date=LATE)
            )
        self.assertTrue(draft.request_date_set)
        with freeze_time(LATE):
            draft.with_user(self.admin).action_apply()
        self.assertEqual((draft.state, draft.request_date), ("done", date(2024, 12, 1)))

    def test_a_customers_request_keeps_the_day_it_was_sent(self):
        customer = self.users["portal"]
        customer.partner_id.parent_id = self.partner
        with freeze_time("2024-12-07"):
            request_id = self.running.with_user(customer).portal_request_amendment(
                {
                    "effective_date": "2024-12-07",
                    "lines": [
                        {"subscription_line_id": self.users_line.id, "new_quantity": 6}
                    ],
                }
            )
        request = self.Amendment.browse(request_id)
        with freeze_time(LATE):
            request.with_user(self.manager).action_apply()
        self.assertEqual(
            (request.state, request.request_date), ("done", date(2024, 12, 7))
        )

    @freeze_time(LATE)
    def test_a_draft_stays_with_its_subscription(self):
        other = self._start(self._create_subscription(start=date(2024, 6, 1)))
        draft = self.Amendment.with_user(self.manager).create(
            {"subscription_id": self.running.id}
        )
        self.assertRefused(
            lambda: draft.write({"subscription_id": other.id}),
            regex="stays with the subscription",
        )


class TestBorrowedDates(InvariantCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # on time, for the renewal: scheduled
        with freeze_time("2024-12-01"):
            cls.scheduled = cls.Amendment.with_user(cls.manager).create_and_apply(
                {
                    "subscription_id": cls.running.id,
                    "effective_date": "2025-01-06",
                    "line_ids": [
                        Command.create(
                            {
                                "subscription_line_id": cls.numbers_line.id,
                                "new_quantity": 2,
                            }
                        )
                    ],
                }
            )
        assert cls.scheduled.state == "scheduled"

    @freeze_time(LATE)
    def test_a_line_cannot_join_an_accepted_amendment(self):
        draft = self.Amendment.with_user(self.manager).create(self._reduction())
        line = draft.line_ids.with_user(self.manager)
        self.assertRefused(
            lambda: line.write({"amendment_id": self.scheduled.id}),
            regex="keeps its amendment",
        )
        self.assertRefused(
            lambda: (
                self.env["sale.subscription.amendment.line"]
                .with_user(self.manager)
                .create(
                    {
                        "amendment_id": self.scheduled.id,
                        "subscription_line_id": self.users_line.id,
                        "new_quantity": 1,
                    }
                )
            ),
            regex="Only the lines of a draft amendment",
        )

    @freeze_time(LATE)
    def test_a_line_cannot_be_repointed(self):
        scheduled_line = self.scheduled.line_ids.with_user(self.manager)
        self.assertRefused(
            lambda: scheduled_line.write({"subscription_line_id": self.users_line.id}),
            regex="keeps its amendment",
        )
        draft = self.Amendment.with_user(self.manager).create(
            {
                "subscription_id": self.running.id,
                "line_ids": [
                    Command.create(
                        {
                            "subscription_line_id": self.numbers_line.id,
                            "new_quantity": 5,
                        }
                    )
                ],
            }
        )
        # an upgrade of numbers cannot become a reduction of users
        self.assertRefused(
            lambda: draft.line_ids.write({"subscription_line_id": self.users_line.id}),
            regex="keeps its amendment",
        )

    def test_the_cron_applies_the_scheduled_amendment_as_it_was(self):
        with freeze_time("2025-01-06"):
            self.env["sale.subscription"].cron_subscription_management()
        self.assertEqual(self.scheduled.state, "done")
        self.assertEqual(
            [line.product_uom_qty for line in self.running.sale_subscription_line_ids],
            [10, 2],
        )


@freeze_time(LATE)
class TestPriceNotQuantity(InvariantCase):
    def test_non_administrators_cannot_cut_a_price(self):
        for role in ("salesman", "amendment user"):
            line = self.users_line.with_user(self.users[role])
            contract = self.running.with_user(self.users[role])
            for vals in ({"discount": 100}, {"price_unit": 0}, {"price_unit": 29.99}):
                self.assertRefused(
                    lambda line=line, vals=vals: line.write(vals),
                    regex="only through an amendment",
                    what=f"{role}: {vals}",
                )
                self.assertRefused(
                    lambda contract=contract, vals=vals: contract.write(
                        {
                            "sale_subscription_line_ids": [
                                Command.update(self.users_line.id, vals)
                            ]
                        }
                    ),
                    regex="only through an amendment",
                    what=f"{role}: {vals} through the contract",
                )
            # nor with a reason: that is an administrator's
            self.assertRefused(
                lambda line=line: line.write_with_override({"discount": 100}, REASON),
                regex="only through an amendment",
            )
        self.assertRunsAsBefore()

    def test_partner_and_pricelist_changes_keep_the_prices(self):
        cheap = self.env["product.pricelist"].create(
            {
                "name": "Cheap",
                "currency_id": self.currency.id,
                "item_ids": [
                    Command.create(
                        {
                            "applied_on": "3_global",
                            "compute_price": "percentage",
                            "percent_price": 90,
                        }
                    )
                ],
            }
        )
        other_customer = self.env["res.partner"].create(
            {"name": "Other SAS", "property_product_pricelist": cheap.id}
        )
        contract = self.running.with_user(self.salesman)
        contract.write({"pricelist_id": cheap.id})
        contract.write({"partner_id": other_customer.id})
        self.assertRunsAsBefore()

    def test_a_pricelist_in_another_currency_is_for_administrators(self):
        other = self.env.ref("base.EUR")
        if other == self.currency:
            other = self.env.ref("base.USD")
        other.active = True
        pricelist = self.env["product.pricelist"].create(
            {"name": "Other currency", "currency_id": other.id}
        )
        self.assertRefused(
            lambda: self.running.with_user(self.manager).write(
                {"pricelist_id": pricelist.id}
            ),
            regex="changes currency",
        )

    def test_an_administrators_late_price_cut_needs_a_reason(self):
        line = self.users_line.with_user(self.admin)
        self.assertRefused(
            lambda: line.write({"price_unit": 27.0}),
            regex="Users is worth .*270.00 a month instead of .*300.00.*with a reason",
        )
        self.assertRefused(
            lambda: line.write_with_override({"price_unit": 27.0}, " "),
            regex="Give the reason",
        )
        line.write_with_override({"price_unit": 27.0}, REASON)
        self.assertEqual(self.users_line.price_unit, 27.0)
        body = self.running.message_ids[0].body
        self.assertIn(REASON, body)
        self.assertIn("administrator", body)
        self.assertIn("Users is worth", body)
        # the form's field says the same
        self.running.with_user(self.admin).write(
            {
                "override_reason": REASON,
                "sale_subscription_line_ids": [
                    Command.update(self.numbers_line.id, {"discount": 50})
                ],
            }
        )
        self.assertEqual(self.numbers_line.discount, 50)
        self.assertFalse(self.running.with_user(self.admin).override_reason)

    def test_an_administrators_raise_needs_no_reason(self):
        self.users_line.with_user(self.admin).write({"price_unit": 31.0})
        self.assertEqual(self.users_line.price_unit, 31.0)


class TestWhoseDay(InvariantCase):
    def test_a_users_own_timezone_does_not_move_the_deadline(self):
        # 09:00 UTC on 8 December: still the 7th at UTC-12
        self.manager.with_user(self.manager).write({"tz": "Etc/GMT+12"})
        with freeze_time("2024-12-08 09:00:00"):
            self.assertRefused(
                lambda: self.Amendment.with_user(self.manager).create_and_apply(
                    self._reduction()
                ),
                regex="Too late.*12/07/2024 \\(UTC\\)",
            )
        self.assertRunsAsBefore()

    def test_the_companys_timezone_is_everyones(self):
        self.company.amendment_timezone = "Pacific/Kiritimati"  # UTC+14
        # 11:00 UTC on 7 December: already the 8th at UTC+14
        with freeze_time("2024-12-07 11:00:00"):
            for tz in ("Etc/GMT+12", "UTC", False):
                self.manager.tz = tz
                self.assertRefused(
                    lambda: self.Amendment.with_user(self.manager).create_and_apply(
                        self._reduction()
                    ),
                    regex="Too late",
                )
            self.assertTrue(self.running.inside_notice_period)
            self.assertIn(
                self.running,
                self.env["sale.subscription"].search(
                    [("inside_notice_period", "=", True)]
                ),
            )

    def test_only_settings_administrators_write_the_companys_timezone(self):
        for role in ("salesman", "amendment user", "amendment admin"):
            with self.assertRaises(AccessError):
                self.company.with_user(self.users[role]).write(
                    {"amendment_timezone": "Etc/GMT+12"}
                )
        self.assertEqual(self.company.amendment_timezone, "UTC")


@freeze_time(LATE)
class TestBillingDatesAndTemplates(InvariantCase):
    def test_a_salesman_cannot_move_the_next_invoice_date(self):
        for day in ("2025-03-06", "2024-10-06"):
            self.assertRefused(
                lambda day=day: self.running.with_user(self.salesman).write(
                    {"recurring_next_date": day}
                ),
                regex="next invoice date moves",
            )
        # billing the period moves it: subscription_oca's invoicing
        self.running.with_user(self.salesman).generate_invoice()
        self.assertEqual(self.running.recurring_next_date, date(2025, 2, 6))

    def test_a_template_that_running_contracts_use(self):
        template = self.template.with_user(self.salesman)
        for vals in (
            {"recurring_interval": 2},
            {"recurring_rule_type": "years"},
        ):
            self.assertRefused(
                lambda vals=vals: template.write(vals), AccessError, "recurrence"
            )
        template.write({"description": "Our terms"})
        # an administrator lowers what its contracts are worth with a reason only
        admin_template = self.template.with_user(self.admin)
        self.assertRefused(
            lambda: admin_template.write({"recurring_interval": 2}),
            regex="Users is worth .* with a reason",
        )
        admin_template.write_with_override({"recurring_interval": 2}, REASON)
        self.assertEqual(self.template.recurring_interval, 2)
        self.assertIn(REASON, self.running.message_ids[0].body)


@freeze_time(LATE)
class TestWhatTheReviewFound(InvariantCase):
    """Attacks found by a review of the invariant, each refused."""

    def test_subscription_ocas_computed_fields_are_not_a_clients(self):
        contract = self.running.with_user(self.salesman)
        for vals in (
            {"recurring_rule_boundary": False},
            {"recurring_total": 1.0},
            {"name": "Renamed"},
        ):
            self.assertRefused(
                lambda vals=vals: contract.write(vals),
                regex="computed by the application",
                what=str(vals),
            )
        line = self.users_line.with_user(self.salesman)
        for vals in ({"company_id": self.company_b.id}, {"price_subtotal": 1.0}):
            self.assertRefused(
                lambda vals=vals: line.write(vals),
                regex="computed by the application",
                what=str(vals),
            )

    def test_a_stale_renewal_date_does_not_end_a_renewing_contract(self):
        """The cron did not renew it (a failure): its stored renewal date is a
        year old; it renewed all the same, and a stop now is judged by the
        notice rule of its new term."""
        with freeze_time("2025-12-20"):
            self.assertEqual(self.running.renewal_date, date(2025, 1, 6))
            self.assertRefused(
                self.running.with_user(self.salesman).close_subscription,
                regex="Too late.*renewal date 01/06/2026",
            )
        # one that does not renew ends there
        self.running.with_user(self.admin).write_with_override(
            {"auto_renew": False}, REASON
        )
        with freeze_time("2025-01-08"):
            self.running.with_user(self.salesman).close_subscription()
        self.assertFalse(self.running.in_progress)

    def test_a_draft_an_administrator_dated_is_theirs(self):
        with freeze_time("2024-12-01"):
            draft = self.Amendment.with_user(self.admin).create(
                self._reduction(8, request_date="2024-12-01")
            )
        self.assertTrue(draft.request_date_set)
        mine = draft.with_user(self.manager)
        for call in (
            lambda: mine.write({"cancel_renewal": True}),
            lambda: mine.write({"effective_date": LATE}),
            lambda: mine.line_ids.write({"new_quantity": 1}),
            lambda: mine.write(
                {
                    "line_ids": [
                        Command.create(
                            {
                                "subscription_line_id": self.numbers_line.id,
                                "new_quantity": 0,
                            }
                        )
                    ]
                }
            ),
            lambda: mine.line_ids.unlink(),
        ):
            self.assertRefused(call, AccessError, "request date an administrator set")
        # a note is theirs
        mine.write({"note": "called the customer"})

    def test_a_context_default_does_not_shape_the_amendments_lines(self):
        amendment = (
            self.Amendment.with_user(self.manager)
            .with_context(default_discount=200, default_price_unit=0)
            .create_and_apply(
                {
                    "subscription_id": self.running.id,
                    "line_ids": [
                        Command.create(
                            {
                                "product_id": self.product_addon.id,
                                "new_quantity": 30,
                                "price_unit": 10.0,
                            }
                        )
                    ],
                }
            )
        )
        self.assertEqual(amendment.amendment_type, "upgrade")
        addon = self.running.sale_subscription_line_ids.filtered(
            lambda line: line.product_id == self.product_addon
        )
        self.assertEqual(
            (addon.product_uom_qty, addon.price_unit, addon.discount), (30, 10, 0)
        )

    def test_no_line_worth_less_than_nothing(self):
        lines = self.env["sale.subscription.line"].with_user(self.admin)
        for vals in ({"product_uom_qty": -9}, {"discount": 200}):
            self.assertRefused(
                lambda vals=vals: lines.create(
                    {
                        "sale_subscription_id": self.running.id,
                        "product_id": self.product_addon.id,
                        "product_uom_qty": 1,
                        "price_unit": 10.0,
                        **vals,
                    }
                ),
                ValidationError,
                "zero or more",
            )
        # a negative price lowers the contract: an administrator gives a reason
        self.assertRefused(
            lambda: self.running.with_user(self.admin).write(
                {
                    "sale_subscription_line_ids": [
                        Command.create(
                            {"product_id": self.product_addon.id, "price_unit": -300}
                        )
                    ]
                }
            ),
            regex="worth .*300.00 a month instead of .*0.00",
        )

    def test_nobody_deletes_a_running_contract(self):
        for role in ("salesman", "amendment admin"):
            self.assertRefused(
                self.running.with_user(self.users[role]).unlink,
                regex="close it instead",
                what=role,
            )

    def test_taxes_of_running_lines(self):
        untaxed = self.env["account.fiscal.position"].create(
            {
                "name": "No VAT",
                "tax_ids": [Command.create({"tax_src_id": self.tax.id})],
            }
        )
        self.assertRefused(
            lambda: self.running.with_user(self.salesman).write(
                {"fiscal_position_id": untaxed.id}
            ),
            regex="taxes of its lines change",
        )
        # the same product written again recomputes nothing
        self.product_users.list_price = 45.0
        self.users_line.with_user(self.salesman).write(
            {"product_id": self.product_users.id}
        )
        self.assertEqual(
            (self.users_line.price_unit, self.users_line.tax_ids), (30.0, self.tax)
        )
        # an administrator maps the taxes (a new fiscal position) without a reason
        self.running.with_user(self.admin).write({"fiscal_position_id": untaxed.id})
        self.assertFalse(self.users_line.tax_ids)
        self.assertRunsAsBefore()

    def test_an_accountant_does_not_rewrite_what_a_line_billed(self):
        accountant = self.users["billing"]
        line = self.invoice.invoice_line_ids[:1].with_user(accountant)
        for vals in (
            {"subscription_price_unit": 3000.0},
            {"subscription_line_id": self.numbers_line.id},
            {"subscription_rounding": True},
        ):
            self.assertRefused(
                lambda vals=vals: line.write(vals),
                regex="computed by the application",
                what=str(vals),
            )

    def test_a_contract_moved_to_another_company_with_a_reason(self):
        self.admin.company_ids |= self.company_b
        self.running.with_user(self.admin).write_with_override(
            {"company_id": self.company_b.id}, REASON
        )
        self.assertEqual(self.running.company_id, self.company_b)

    def test_a_manual_invoice_returns_what_a_client_can_read(self):
        action = self.running.with_user(self.salesman).manual_invoice()
        self.assertFalse(
            [
                key
                for key, value in action["context"].items()
                if not isinstance(value, str | int | float | bool | list | type(None))
            ]
        )

    def test_a_sale_order_starts_a_subscription_under_term(self):
        self.product_users.product_tmpl_id.write(
            {"subscribable": True, "subscription_template_id": self.template.id}
        )
        order = (
            self.env["sale.order"]
            .with_user(self.salesman)
            .create(
                {
                    "partner_id": self.partner.id,
                    "order_line": [
                        Command.create(
                            {"product_id": self.product_users.id, "product_uom_qty": 4}
                        )
                    ],
                }
            )
        )
        order.action_confirm()
        subscription = self.env["sale.subscription"].search(
            [("sale_order_id", "=", order.id)]
        )
        self.assertTrue(subscription.in_progress)
        self.assertEqual(subscription.term_interval, 12)
        self.assertEqual(subscription.recurring_next_date, date(2025, 1, 20))
