# The two commands of the README, and a few more for developers.
.PHONY: demo test setup bench e2e e2e-faults lint clean i18n validate-einvoice

demo:   ## set everything up and start Odoo with the demo database
	bash scripts/demo.sh

test:   ## run all tests: pure, static, Odoo and queue tiers
	bash scripts/test.sh

setup:  ## only create .venv (Odoo, subscription_oca, test tools)
	bash scripts/setup.sh

bench:  ## the benchmarks of bench/ (never part of `make test`), make e2e included
	bash scripts/bench.sh

e2e:    ## a bulk amendment of 500 contracts through a real queue_job runner
	bash scripts/e2e.sh

e2e-faults:  ## the same with killed workers, a dropped connection, a held and a faulty contract, then the cron killed
	E2E_FAULTS=1 bash scripts/e2e.sh

lint:   ## ruff fixes and formatting
	.venv/bin/ruff check --fix . && .venv/bin/ruff format .

clean:
	rm -rf .venv .cache

i18n:   ## regenerate the .pot from the module and merge it into fr.po
	bash scripts/i18n.sh

validate-einvoice:  ## check a posted move's Factur-X and UBL: make validate-einvoice MOVE=<id> [DB=aircall_demo]
	bash scripts/validate_einvoice.sh "$(MOVE)" "$(DB)"
