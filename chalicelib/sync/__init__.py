"""Use cases: what a REST call, a SOAP call or a scheduled event asks the service to do."""
