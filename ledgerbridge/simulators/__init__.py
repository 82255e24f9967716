"""Simulators of the two Windows programs on the customer's side: QuickBooks Desktop and its Web Connector.

* `company.CompanySimulator` answers qbXML request documents like QuickBooks does, from a company
  kept in a JSON file; `sales` adds its sales transactions (receipts, invoices, orders, credit
  memos, payments).
* `webconnector.run_session` drives one Web Connector update session over SOAP against a web
  service URL, passing the service's requests to a `CompanySimulator`.

They are independent of the service code (`chalicelib`) on purpose: the end-to-end tests and
`ledgerbridge simulate` use them to check the service against the behaviour of the real programs.
"""
