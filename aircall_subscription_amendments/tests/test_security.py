# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Groups and multi-company rules, with real users of each group.

Every write here is what an RPC client would send (``with_user(...).write``):
the rules hold without the views.
"""

from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user

from .test_terms import TermsCase

USER_GROUP = "aircall_subscription_amendments.group_amendment_user"
ADMIN_GROUP = "aircall_subscription_amendments.group_amendment_admin"


class TestGroups(TermsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account_manager = new_test_user(
            cls.env, login="sec_account_manager", groups=USER_GROUP
        )
        cls.amendment_admin = new_test_user(
            cls.env, login="sec_amendment_admin", groups=ADMIN_GROUP
        )
        cls.sales_manager = new_test_user(
            cls.env, login="sec_sales_manager", groups="sales_team.group_sale_manager"
        )
        cls.accountant = new_test_user(
            cls.env, login="sec_accountant", groups="account.group_account_invoice"
        )
        with freeze_time("2024-03-01"):
            cls.draft = cls._create_subscription()
            cls.running = cls._start(cls._create_subscription())
            cls.running.flush_recordset()

    def test_group_hierarchy(self):
        self.assertTrue(self.sales_manager.has_group(USER_GROUP))
        self.assertFalse(self.sales_manager.has_group(ADMIN_GROUP))
        self.assertTrue(self.amendment_admin.has_group(USER_GROUP))
        self.assertTrue(
            self.account_manager.has_group("sales_team.group_sale_salesman")
        )
        self.assertFalse(self.account_manager.has_group(ADMIN_GROUP))
        # accountants keep Odoo's own invoicing groups
        self.assertFalse(self.accountant.has_group(USER_GROUP))
        self.assertTrue(self.accountant.has_group("account.group_account_invoice"))

    def test_account_manager_cannot_change_notice_days(self):
        for user in (self.account_manager, self.sales_manager):
            for subscription in (self.draft, self.running):
                with self.assertRaises(AccessError):
                    subscription.with_user(user).write({"notice_days": 45})
                self.assertEqual(subscription.notice_days, 30)
            self.assertFalse(self.running.with_user(user).user_is_amendment_admin)

    def test_account_manager_creates_with_the_default_notice_days_only(self):
        values = {
            "partner_id": self.partner.id,
            "pricelist_id": self.pricelist.id,
            "template_id": self.template.id,
            "date_start": date(2024, 3, 1),
            "recurring_next_date": date(2024, 3, 1),
        }
        Subscription = self.env["sale.subscription"].with_user(self.account_manager)
        # what the form sends: the computed default
        created = Subscription.create({**values, "notice_days": 30})
        self.assertEqual(created.notice_days, 30)
        with self.assertRaises(AccessError):
            Subscription.create({**values, "notice_days": 5})

    def test_administrator_can_change_notice_days(self):
        with freeze_time("2024-03-01"):
            self.running.with_user(self.amendment_admin).write({"notice_days": 60})
            self.assertEqual(self.running.notice_days, 60)
            self.assertEqual(self.running.notice_deadline, date(2024, 11, 7))
        self.assertTrue(
            self.running.with_user(self.amendment_admin).user_is_amendment_admin
        )

    def test_term_of_a_running_contract_is_for_administrators(self):
        with self.assertRaises(AccessError):
            self.running.with_user(self.account_manager).write({"term_interval": 1})
        # not through another template either
        other = self._create_template("Two years", term_interval=24)
        with self.assertRaises(AccessError):
            self.running.with_user(self.account_manager).write(
                {"template_id": other.id}
            )
        self.assertEqual(self.running.term_interval, 12)
        self.assertEqual(self.running.template_id, self.template)
        # a draft is the account manager's to prepare
        self.draft.with_user(self.account_manager).write({"term_interval": 24})
        self.assertEqual(self.draft.term_interval, 24)
        # the administrator may, with a reason: it moves the renewal date
        admin = self.running.with_user(self.amendment_admin)
        with self.assertRaisesRegex(UserError, "renewal date moves"):
            admin.write({"term_interval": 24})
        admin.write_with_override({"term_interval": 24}, "a two-year commitment")
        self.assertEqual(self.running.term_interval, 24)

    def test_dates_of_a_running_contract_with_a_term_are_for_administrators(self):
        manager = self.running.with_user(self.account_manager)
        for values in ({"date_start": date(2024, 2, 1)}, {"date": date(2024, 6, 30)}):
            with self.assertRaises(AccessError):
                manager.write(values)
        self.assertEqual(self.running.date_start, date(2024, 1, 6))
        self.assertFalse(self.running.date)
        self.assertTrue(self.running.auto_renew)
        # without a term, subscription_oca's behaviour is kept
        with freeze_time("2024-03-01"):
            no_term = self._start(
                self._create_subscription(template_id=self.template_no_term.id)
            )
        no_term.with_user(self.account_manager).write({"date": date(2024, 6, 30)})
        self.assertEqual(no_term.date, date(2024, 6, 30))

    def test_account_manager_copies_a_contract_with_its_own_notice_days(self):
        self.running.with_user(self.amendment_admin).notice_days = 60
        copy = self.running.with_user(self.account_manager).copy()
        self.assertEqual(copy.term_interval, 12)
        self.assertEqual(copy.notice_days, 30)

    def test_account_manager_uses_the_forms(self):
        with freeze_time("2024-03-01"):
            form = Form(self.env["sale.subscription"].with_user(self.account_manager))
            form.partner_id = self.partner
            form.pricelist_id = self.pricelist
            form.template_id = self.template
            self.assertEqual(form.notice_days, 30)
            self.assertEqual(form.term_interval, 12)
            subscription = form.save()
        self.assertEqual(subscription.notice_days, 30)
        self.assertEqual(subscription.term_interval, 12)
        template_form = Form(self.template.with_user(self.account_manager))
        template_form.description = "Our terms"
        template_form.save()
        self.assertEqual(self.template.description, "Our terms")

    def test_other_fields_stay_writable_by_account_managers(self):
        self.running.with_user(self.account_manager).write({"description": "Hi"})
        self.assertEqual(self.running.description, "Hi")
        # not the next invoice date: subscription_oca's invoicing moves it
        with self.assertRaisesRegex(UserError, "next invoice date moves"):
            self.running.with_user(self.account_manager).write(
                {"recurring_next_date": date(2099, 1, 1)}
            )
        with freeze_time("2024-03-01"):
            self.draft.with_user(self.account_manager).action_start_subscription()
        self.assertTrue(self.draft.in_progress)

    def test_template_terms_are_for_administrators(self):
        for user in (self.account_manager, self.sales_manager):
            template = self.template.with_user(user)
            for values in (
                {"term_interval": 24},
                {"term_unit": "year"},
                {"notice_days": 10},
            ):
                with self.assertRaises(AccessError):
                    template.write(values)
            with self.assertRaises(AccessError):
                template.create({"name": "Mine", "term_interval": 12})
            # unchanged values and other fields are fine
            template.write({"term_interval": 12, "description": "Terms"})
            template.create({"name": "No term", "term_interval": 0})
        self.template.with_user(self.amendment_admin).write({"notice_days": 10})
        self.assertEqual(self.template.notice_days, 10)

    def test_accountant_cannot_change_notice_days(self):
        with self.assertRaises(AccessError):
            self.running.with_user(self.accountant).write({"notice_days": 45})


class TestMultiCompany(TermsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Company B"})
        cls.user_b = new_test_user(
            cls.env,
            login="sec_user_b",
            groups=f"{ADMIN_GROUP},account.group_account_invoice",
            company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
        )
        cls.user_a = new_test_user(cls.env, login="sec_user_a", groups=USER_GROUP)
        with freeze_time("2024-03-01"):
            cls.subscription = cls._start(cls._create_subscription())
            cls.amendment = cls.env["sale.subscription.amendment"].create(
                {
                    "subscription_id": cls.subscription.id,
                    "line_ids": [
                        Command.create(
                            {
                                "subscription_line_id": (
                                    cls.subscription.sale_subscription_line_ids.id
                                ),
                                "new_quantity": 12,
                            }
                        )
                    ],
                }
            )

    def test_user_of_another_company_sees_nothing(self):
        records = {
            "sale.subscription": self.subscription,
            "sale.subscription.line": self.subscription.sale_subscription_line_ids,
            "sale.subscription.amendment": self.amendment,
            "sale.subscription.amendment.line": self.amendment.line_ids,
        }
        for model, record in records.items():
            self.assertTrue(record, model)
            # the same company sees them
            self.assertEqual(
                self.env[model].with_user(self.user_a).search([("id", "=", record.id)]),
                record,
                model,
            )
            # another company sees nothing, by search or by id
            self.assertFalse(
                self.env[model].with_user(self.user_b).search([]) & record, model
            )
            with self.assertRaises(AccessError):
                record.with_user(self.user_b).read(["display_name"])
        with self.assertRaises(AccessError):
            self.subscription.with_user(self.user_b).write({"notice_days": 45})


class TestMultiCompanyUser(TermsCase):
    """A user allowed in two companies, acting in one (the company switcher
    sets ``allowed_company_ids``): amendments, their lines, the wizard and the
    generated documents of the other company are out of reach."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Company B"})
        cls.env["account.chart.template"].try_loading(
            "generic_coa", cls.company_b, install_demo=False
        )
        cls.user = new_test_user(
            cls.env,
            login="sec_two_companies",
            groups=f"{ADMIN_GROUP},account.group_account_invoice",
            company_id=cls.company.id,
            company_ids=[Command.set((cls.company | cls.company_b).ids)],
        )
        cls.amendments = {}
        for company in (cls.company, cls.company_b):
            env = cls.env(
                context=dict(cls.env.context, allowed_company_ids=company.ids)
            )
            with freeze_time("2024-03-06"):
                subscription = cls._start(
                    cls._create_subscription(
                        company_id=company.id,
                        pricelist_id=env["product.pricelist"]
                        .create({"name": company.name, "company_id": company.id})
                        .id,
                    ).with_env(env)
                )
                cls._invoice_period(subscription, date(2024, 3, 6))
                cls.amendments[company] = env[
                    "sale.subscription.amendment"
                ].create_and_apply(
                    {
                        "subscription_id": subscription.id,
                        "line_ids": [
                            Command.create(
                                {
                                    "subscription_line_id": (
                                        subscription.sale_subscription_line_ids.id
                                    ),
                                    "new_quantity": 8,
                                }
                            )
                        ],
                    }
                )

    def _acting_in(self, *companies):
        return self.env(
            user=self.user, context={"allowed_company_ids": [c.id for c in companies]}
        )

    def test_each_company_sees_its_own(self):
        a, b = self.amendments[self.company], self.amendments[self.company_b]
        self.assertEqual(a.move_ids.company_id, self.company)
        self.assertEqual(b.move_ids.company_id, self.company_b)
        self.assertEqual(b.move_ids.journal_id.company_id, self.company_b)
        for acting, mine, other in (
            ((self.company,), a, b),
            ((self.company_b,), b, a),
        ):
            env = self._acting_in(*acting)
            for model, records, others in (
                ("sale.subscription.amendment", mine, other),
                ("sale.subscription.amendment.line", mine.line_ids, other.line_ids),
                ("account.move", mine.move_ids, other.move_ids),
                (
                    "sale.subscription",
                    mine.subscription_id,
                    other.subscription_id,
                ),
            ):
                found = env[model].search([("id", "in", (records | others).ids)])
                self.assertEqual(found.ids, records.ids, f"{model} in {acting}")
                with self.assertRaises(AccessError, msg=f"{model} in {acting}"):
                    others.with_env(env).read(["display_name"])
        # both companies selected: both
        env = self._acting_in(self.company, self.company_b)
        self.assertEqual(
            env["sale.subscription.amendment"].search([("id", "in", (a | b).ids)]),
            (a | b).with_env(env),
        )

    def test_the_other_company_cannot_be_amended_from_this_one(self):
        b = self.amendments[self.company_b]
        subscription = b.subscription_id
        env = self._acting_in(self.company)
        values = {
            "subscription_id": subscription.id,
            "line_ids": [
                Command.create(
                    {
                        "subscription_line_id": (
                            subscription.sale_subscription_line_ids.id
                        ),
                        "new_quantity": 6,
                    }
                )
            ],
        }
        with freeze_time("2024-03-10"):
            # the wizard, as the Amend button opens it
            with self.assertRaises(AccessError):
                env["sale.subscription.amendment.wizard"].with_context(
                    active_model="sale.subscription", active_id=subscription.id
                ).create({})
            with self.assertRaises(AccessError):
                env["sale.subscription.amendment"].create_and_apply(values)
            with self.assertRaises(AccessError):
                b.with_env(env).action_cancel()
            self.assertEqual(subscription.sale_subscription_line_ids.product_uom_qty, 8)
            self.assertEqual(len(subscription.amendment_ids), 1)
            # acting in company B, the same call goes through, in company B
            env_b = self._acting_in(self.company_b)
            amendment = env_b["sale.subscription.amendment"].create_and_apply(values)
        self.assertEqual(amendment.company_id, self.company_b)
        self.assertEqual(amendment.move_ids.company_id, self.company_b)
        self.assertEqual(subscription.sale_subscription_line_ids.product_uom_qty, 6)
