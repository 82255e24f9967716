"""Simulators of the two Windows programs on the customer's side: QuickBooks Desktop and its Web Connector.

* `company.CompanySimulator` answers qbXML request documents like QuickBooks does, from a company
  kept in a JSON file. It is put together from one module per concern: `registry` (request
  handlers, statuses, faults), `stored` (the company file and its indexes), `lists`, `inventory`,
  `message_sets` (processing and error recovery), `sales`, `payments`, `sale_queries` and
  `sale_mods` (transactions: receipts, invoices, orders, credit memos, payments). Import it from `company`.
* `webconnector.run_session` drives one Web Connector update session over SOAP against a web
  service URL, passing the service's requests to a `CompanySimulator`.

They are independent of the service code (`chalicelib`) on purpose: the end-to-end tests and
`ledgerbridge simulate` use them to check the service against the behaviour of the real programs.
"""
