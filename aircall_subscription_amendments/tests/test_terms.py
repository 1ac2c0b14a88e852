# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Contract terms, renewal dates and notice settings on subscriptions."""

from contextlib import contextmanager
from datetime import date

from dateutil.relativedelta import relativedelta
from freezegun import freeze_time
from lxml import etree

from odoo.exceptions import ValidationError
from odoo.tools.safe_eval import safe_eval

from .common import SubscriptionCase


class TermsCase(SubscriptionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.amendment_notice_days = 30
        cls.template_no_term = cls._create_template("No term")
        cls.template_monthly_term = cls._create_template(
            "One-month term", term_interval=1, term_unit="month"
        )

    @classmethod
    def _create_subscription(cls, *args, **kwargs):
        subscription = super()._create_subscription(*args, **kwargs)
        # stored computes run lazily: compute the renewal dates as of (frozen) today
        subscription.flush_recordset()
        return subscription

    @contextmanager
    def assertRaisesText(self, exception, pattern):
        """Odoo's assertRaises (rolled back in a savepoint) and the message."""
        with self.assertRaises(exception) as caught:
            yield
        self.assertRegex(str(caught.exception), pattern)

    @classmethod
    def _create_template(cls, name, **values):
        return cls.env["sale.subscription.template"].create(
            {
                "name": name,
                "recurring_interval": 1,
                "recurring_rule_type": "months",
                "recurring_rule_boundary": "unlimited",
                "invoicing_mode": "draft",
                **values,
            }
        )


class TestDefaults(TermsCase):
    def test_term_and_auto_renew_default_from_the_template(self):
        subscription = self._create_subscription()
        self.assertEqual(subscription.term_interval, 12)
        self.assertEqual(subscription.term_unit, "month")
        self.assertTrue(subscription.auto_renew)

    def test_notice_days_cascade_contract_template_company_30(self):
        self.company.amendment_notice_days = 20
        # template 0: the company's setting
        self.assertEqual(self._create_subscription().notice_days, 20)
        # the template's own value
        self.template.notice_days = 45
        self.assertEqual(self._create_subscription().notice_days, 45)
        # the contract's own value
        self.assertEqual(self._create_subscription(notice_days=60).notice_days, 60)
        # a company nobody configured: 30
        other = self.env["res.company"].create({"name": "Other Co"})
        self.assertEqual(other.amendment_notice_days, 30)
        self.template.notice_days = 0
        subscription = self.env["sale.subscription"].create(
            {
                "partner_id": self.partner.id,
                "pricelist_id": self.pricelist.id,
                "template_id": self.template.id,
                "company_id": other.id,
                "date_start": date(2024, 1, 6),
                "recurring_next_date": date(2024, 1, 6),
            }
        )
        self.assertEqual(subscription.notice_days, 30)
        # and without any company at all
        self.assertEqual(
            subscription._default_notice_days(
                self.template_no_term, self.env["res.company"]
            ),
            30,
        )

    def test_changing_the_company_setting_keeps_existing_contracts(self):
        subscription = self._create_subscription()
        self.assertEqual(subscription.notice_days, 30)
        self.company.amendment_notice_days = 10
        self.assertEqual(subscription.notice_days, 30)
        self.assertEqual(self._create_subscription().notice_days, 10)

    def test_settings_edit_the_company_values(self):
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.amendment_notice_days, 30)
        self.assertEqual(settings.amendment_reminder_days, 15)
        settings.write({"amendment_notice_days": 45, "amendment_reminder_days": 7})
        settings.execute()
        self.assertEqual(self.company.amendment_notice_days, 45)
        self.assertEqual(self.company.amendment_reminder_days, 7)

    def test_negative_values_are_refused_with_a_message(self):
        subscription = self._create_subscription()
        # one message for every number (issue 13): the field, the value
        with self.assertRaisesText(
            ValidationError, r"^Notice Days cannot be negative \(-1\)\.$"
        ):
            subscription.notice_days = -1
        with self.assertRaisesText(
            ValidationError, r"^Contract term cannot be negative \(-12\)\.$"
        ):
            subscription.term_interval = -12
        with self.assertRaisesText(ValidationError, "^Notice Days cannot be negative"):
            self.template.notice_days = -1
        with self.assertRaisesText(
            ValidationError, "^Contract term cannot be negative"
        ):
            self.template.term_interval = -1
        with self.assertRaisesText(
            ValidationError, "^Default notice days cannot be negative"
        ):
            self.company.amendment_notice_days = -1
        with self.assertRaisesText(
            ValidationError,
            r"^Notice reminder \(days before the deadline\) cannot be negative",
        ):
            self.company.amendment_reminder_days = -1
        with self.assertRaisesText(ValidationError, "must be a number"):
            subscription.write({"notice_days": float("nan")})
        with self.assertRaisesText(ValidationError, "cannot be negative"):
            # saving the settings form
            self.env["res.config.settings"].create(
                {"amendment_notice_days": -5}
            ).execute()
        self.assertEqual(subscription.notice_days, 30)
        self.assertEqual(subscription.term_interval, 12)
        self.assertEqual(self.company.amendment_notice_days, 30)


class TestOptIn(TermsCase):
    """Without a term, subscription_oca's behaviour is kept."""

    @freeze_time("2024-03-01")
    def test_no_term_no_renewal_date_no_notice_rule(self):
        subscription = self._start(
            self._create_subscription(template_id=self.template_no_term.id)
        )
        self.assertEqual(subscription.term_interval, 0)
        self.assertFalse(subscription.renewal_date)
        self.assertFalse(subscription.notice_deadline)
        self.assertFalse(subscription.inside_notice_period)
        decision = subscription._notice_decision("cancellation", date(2024, 12, 31))
        self.assertTrue(decision.accepted)
        self.assertIsNone(decision.renewal_date)

    def test_a_template_getting_a_term_opts_its_contracts_in(self):
        with freeze_time("2024-03-01"):
            following = self._start(
                self._create_subscription(template_id=self.template_no_term.id)
            )
            own_term = self._create_subscription(
                template_id=self.template_no_term.id,
                term_interval=6,
                term_unit="month",
                notice_days=10,
            )
            self.assertEqual(own_term.renewal_date, date(2024, 7, 6))
            self.template_no_term.write({"term_interval": 12, "notice_days": 45})
            self.assertEqual(following.term_interval, 12)
            self.assertEqual(following.term_unit, "month")
            self.assertEqual(following.notice_days, 45)
            self.assertEqual(following.renewal_date, date(2025, 1, 6))
            self.assertEqual(following.notice_deadline, date(2024, 11, 22))
        # a contract with its own term keeps it
        self.assertEqual(own_term.term_interval, 6)
        self.assertEqual(own_term.notice_days, 10)
        # once a contract has a term, later template changes leave it alone
        with freeze_time("2024-03-01"):
            self.template_no_term.write({"term_interval": 24, "notice_days": 60})
        self.assertEqual(following.term_interval, 12)
        self.assertEqual(following.notice_days, 45)

    @freeze_time("2024-03-01")
    def test_the_contract_itself_can_get_a_term(self):
        subscription = self._create_subscription(template_id=self.template_no_term.id)
        subscription.write({"term_interval": 1, "term_unit": "year"})
        self.assertEqual(subscription.renewal_date, date(2025, 1, 6))
        self.assertEqual(subscription.notice_deadline, date(2024, 12, 7))


class TestRenewalDates(TermsCase):
    @freeze_time("2024-02-10")
    def test_contract_started_on_31_january(self):
        yearly = self._create_subscription(start=date(2024, 1, 31))
        self.assertEqual(yearly.renewal_date, date(2025, 1, 31))
        self.assertEqual(yearly.notice_deadline, date(2025, 1, 1))
        monthly = self._create_subscription(
            start=date(2024, 1, 31), template_id=self.template_monthly_term.id
        )
        # anchored on the start date, not stepped from the previous boundary
        self.assertEqual(monthly.renewal_date, date(2024, 2, 29))
        self.assertEqual(monthly.notice_deadline, date(2024, 1, 30))
        expected = {
            date(2024, 2, 29): date(2024, 3, 31),
            date(2024, 3, 31): date(2024, 4, 30),
            date(2024, 4, 30): date(2024, 5, 31),
            date(2025, 1, 30): date(2025, 1, 31),
            date(2025, 2, 1): date(2025, 2, 28),
        }
        for day, renewal in expected.items():
            self.assertEqual(monthly._renewal_date_after(day), renewal, day)

    def test_renewal_date_is_the_next_boundary_after_today(self):
        with freeze_time("2023-12-01"):
            # before the start: the end of the first term
            subscription = self._create_subscription(start=date(2024, 1, 6))
            self.assertEqual(subscription.renewal_date, date(2025, 1, 6))
        with freeze_time("2025-01-06"):
            # on a boundary, a new term starts: the renewal is the next one
            subscription._refresh_renewal_dates()
            self.assertEqual(subscription.renewal_date, date(2026, 1, 6))
            self.assertEqual(subscription.notice_deadline, date(2025, 12, 7))

    @freeze_time("2024-03-01")
    def test_notice_days_move_the_deadline(self):
        subscription = self._create_subscription()
        subscription.notice_days = 60
        self.assertEqual(subscription.notice_deadline, date(2024, 11, 7))
        subscription.notice_days = 0
        self.assertEqual(subscription.notice_deadline, date(2025, 1, 6))

    def test_inside_notice_period(self):
        with freeze_time("2024-03-01"):
            subscription = self._start(self._create_subscription())
            self.assertEqual(subscription.notice_deadline, date(2024, 12, 7))
        Subscription = self.env["sale.subscription"]
        for day, inside in (
            ("2024-12-06", False),
            ("2024-12-07", False),  # the deadline is the last day accepted
            ("2024-12-08", True),
            ("2025-01-05", True),
        ):
            with freeze_time(day):
                subscription.invalidate_recordset(["inside_notice_period"])
                self.assertEqual(subscription.inside_notice_period, inside, day)
                self.assertEqual(
                    subscription
                    in Subscription.search([("inside_notice_period", "=", True)]),
                    inside,
                    day,
                )
                self.assertEqual(
                    subscription
                    in Subscription.search([("inside_notice_period", "!=", True)]),
                    not inside,
                    day,
                )

    def test_closed_contract_has_no_renewal_date(self):
        with freeze_time("2024-03-01"):
            subscription = self._start(self._create_subscription())
            subscription.close_subscription()
        self.assertFalse(subscription.renewal_date)
        self.assertFalse(subscription.notice_deadline)


class TestLimitedBoundary(TermsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.template_limited = cls._create_template(
            "Six months, fixed",
            recurring_rule_boundary="limited",
            recurring_rule_count=6,
            term_interval=12,
        )

    @freeze_time("2024-03-01")
    def test_term_ends_at_the_end_date(self):
        subscription = self._create_subscription(template_id=self.template_limited.id)
        self.assertEqual(subscription.date, date(2024, 7, 6))
        self.assertFalse(subscription.auto_renew)
        self.assertEqual(subscription.renewal_date, date(2024, 7, 6))
        self.assertEqual(subscription.notice_deadline, date(2024, 6, 6))
        decision = subscription._notice_decision("downgrade", date(2024, 6, 7))
        self.assertFalse(decision.accepted)
        with self.assertRaisesRegex(ValidationError, "end date"):
            subscription.auto_renew = True

    @freeze_time("2024-03-01")
    def test_without_term_a_fixed_subscription_keeps_its_behaviour(self):
        self.template_limited.term_interval = 0
        subscription = self._create_subscription(template_id=self.template_limited.id)
        self.assertEqual(subscription.date, date(2024, 7, 6))
        self.assertFalse(subscription.renewal_date)
        self.assertFalse(subscription.notice_deadline)


class TestViews(TermsCase):
    def _search_filter_domain(self, name):
        arch = self.env["sale.subscription"].get_views([(False, "search")])["views"][
            "search"
        ]["arch"]
        node = etree.fromstring(arch).xpath(f"//filter[@name='{name}']")
        self.assertEqual(len(node), 1, name)
        return node[0].get("domain")

    def test_notice_deadline_within_30_days_filter(self):
        with freeze_time("2024-03-01"):
            # deadline = renewal (12 months from the start) - 30 days
            today = self._create_subscription(start=date(2023, 3, 31))
            soon = self._create_subscription(start=date(2023, 4, 6))
            too_far = self._create_subscription(start=date(2023, 5, 15))
            passed = self._create_subscription(start=date(2023, 3, 20))
        self.assertEqual(today.notice_deadline, date(2024, 3, 1))
        self.assertEqual(soon.notice_deadline, date(2024, 3, 7))
        self.assertEqual(too_far.notice_deadline, date(2024, 4, 15))
        self.assertEqual(passed.notice_deadline, date(2024, 2, 19))
        domain = safe_eval(
            self._search_filter_domain("notice_deadline_30_days"),
            {
                "context_today": lambda: date(2024, 3, 1),
                "relativedelta": relativedelta,
            },
        )
        candidates = today | soon | too_far | passed
        found = self.env["sale.subscription"].search(
            domain + [("id", "in", candidates.ids)]
        )
        self.assertEqual(found, today | soon)

    def test_inside_notice_period_filter_and_columns(self):
        self.assertEqual(
            self._search_filter_domain("inside_notice_period"),
            "[('inside_notice_period', '=', True)]",
        )
        list_arch = self.env["sale.subscription"].get_views([(False, "list")])["views"][
            "list"
        ]["arch"]
        self.assertIn('name="renewal_date"', list_arch)
        self.assertIn('name="notice_deadline"', list_arch)
        form_arch = self.env["sale.subscription"].get_views([(False, "form")])["views"][
            "form"
        ]["arch"]
        self.assertIn("Inside notice period: only upgrades accepted until", form_arch)
