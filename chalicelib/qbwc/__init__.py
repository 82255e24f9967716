"""QuickBooks Web Connector (QBWC) protocol: SOAP envelopes, WSDL, .qwc files, HRESULT wording.

Pure code: bytes/str in, models out. No I/O, no AWS, no logging setup.

- `soap`: the method table (`METHODS`), request parsing, result and fault rendering.
- `wsdl`: the service description generated from `METHODS`.
- `qwc`: the .qwc file the merchant loads into the Web Connector.
- `hresults`: plain-words explanations of the HRESULTs QBWC reports.
"""
