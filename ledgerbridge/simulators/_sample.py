"""The sample company a new `CompanySimulator` file starts with.

A small outdoor-goods retailer with a realistic chart of accounts, every kind of item the
service deals with, sales tax set-up, terms, ship methods, payment methods, classes, a few
vendors and customers. The US variant uses the names found in the reference samples under
`shared/reference/qbxml/samples/synthesized/` (Blue Heron Outfitters, "Widgets:Blue Widget",
"King County", "Walk-in Customer", ...), so those requests run against it.

Objects are written the way a person would type them into QuickBooks: references by full name,
parents by `_parent`; the simulator assigns ListIDs, full names, edit sequences and timestamps
when it seeds the file, through the same code that handles `*Add` requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: One seeded object: `(list kind, Ret-shaped JSON)`. Special keys: `_parent` (the parent's
#: full name) and `_list_id_prefix` (QuickBooks' fixed IDs of built-in records, e.g. "10000").
SeedObject = tuple[str, dict[str, Any]]

SUPPORTED_COUNTRIES = ("US", "CA", "UK", "AU")

#: qbXML versions a QuickBooks Desktop 2023 (R1) host reports in HostRet.
QBXML_VERSIONS_2023 = (
    "1.0",
    "1.1",
    "2.0",
    "2.1",
    "3.0",
    "4.0",
    "4.1",
    "5.0",
    "6.0",
    "7.0",
    "8.0",
    "9.0",
    "10.0",
    "11.0",
    "12.0",
    "13.0",
    "14.0",
    "15.0",
    "16.0",
)


@dataclass(frozen=True)
class CountryProfile:
    """What differs between the US, Canadian, UK and Australian editions in the sample file."""

    country: str
    product_name: str
    timezone: str
    addr1: str
    city: str
    state: str
    postal_code: str
    phone: str
    taxable_code: str
    non_taxable_code: str
    tax_codes: tuple[tuple[str, bool, str], ...]  # (name, is taxable, description)
    has_sales_tax_items: bool


PROFILES: dict[str, CountryProfile] = {
    "US": CountryProfile(
        "US",
        "QuickBooks Desktop Pro Plus 2023",
        "America/Los_Angeles",
        "1200 Harbor Way",
        "Bayview",
        "WA",
        "98101",
        "206-555-0100",
        "Tax",
        "Non",
        (("Tax", True, "Taxable Sales"), ("Non", False, "Non-Taxable Sales")),
        True,
    ),
    "CA": CountryProfile(
        "CA",
        "QuickBooks Desktop Pro Plus 2023 (Canada)",
        "America/Vancouver",
        "455 Granville Street",
        "Vancouver",
        "BC",
        "V6C 1T2",
        "604-555-0100",
        "G",
        "E",
        (("G", True, "GST"), ("S", True, "GST and PST"), ("E", False, "Exempt"), ("Z", False, "Zero-rated")),
        False,
    ),
    "UK": CountryProfile(
        "UK",
        "QuickBooks Desktop Pro 2023 (UK)",
        "Europe/London",
        "14 Riverside Walk",
        "London",
        "",
        "SE1 9PG",
        "020 7946 0100",
        "S",
        "E",
        (("S", True, "Standard rate"), ("Z", True, "Zero rated"), ("E", False, "Exempt")),
        False,
    ),
    "AU": CountryProfile(
        "AU",
        "QuickBooks Desktop Pro 2023 (Australia)",
        "Australia/Sydney",
        "88 George Street",
        "Sydney",
        "NSW",
        "2000",
        "02 5550 0100",
        "GST",
        "FRE",
        (("GST", True, "Goods & Services Tax"), ("FRE", False, "GST Free")),
        False,
    ),
}


#: Sales tax rates (percent) of the non-US editions' tax codes. QuickBooks links each such code to a
#: tax item holding the rate; the sample file keeps it simple and the simulator reads the rate of the
#: code here (codes missing here, and every US code, carry no rate of their own).
TAX_CODE_RATES: dict[str, dict[str, str]] = {
    "US": {},
    "CA": {"G": "5.0", "S": "12.0", "E": "0.0", "Z": "0.0"},
    "UK": {"S": "20.0", "Z": "0.0", "E": "0.0"},
    "AU": {"GST": "10.0", "FRE": "0.0"},
}

#: The built-in form templates of a new company file: (name, TemplateType).
TEMPLATES = (
    ("Intuit Product Invoice", "Invoice"),
    ("Custom Sales Receipt", "SalesReceipt"),
    ("Custom Sales Order", "SalesOrder"),
    ("Custom Credit Memo", "CreditMemo"),
)


def company_file_path(company_name: str) -> str:
    """Where QuickBooks keeps a company file by default on Windows."""
    return f"C:\\Users\\Public\\Documents\\Intuit\\QuickBooks\\Company Files\\{company_name}.qbw"


def company_ret(company_name: str, profile: CountryProfile) -> dict[str, Any]:
    """CompanyRet (as returned to CompanyQueryRq and in the HCP response)."""
    address: dict[str, Any] = {"Addr1": profile.addr1, "City": profile.city}
    if profile.state:
        address["State"] = profile.state
    address["PostalCode"] = profile.postal_code
    address["Country"] = profile.country
    city_line = " ".join(p for p in (f"{profile.city},", profile.state, profile.postal_code) if p.strip(","))
    domain = "".join(ch for ch in company_name.lower() if ch.isalnum())[:24] or "company"
    ret: dict[str, Any] = {
        "IsSampleCompany": "false",
        "CompanyName": company_name,
        "LegalCompanyName": f"{company_name} LLC" if profile.country == "US" else f"{company_name} Ltd",
        "Address": address,
        "AddressBlock": {"Addr1": profile.addr1, "Addr2": city_line},
        "LegalAddress": dict(address),
        "Phone": profile.phone,
        "Email": f"office@{domain}.example",
        "FirstMonthFiscalYear": "January",
        "FirstMonthIncomeTaxYear": "January",
        "CompanyType": "Retail",
    }
    if profile.country == "US":
        ret["EIN"] = "91-0000000"
        ret["TaxForm"] = "Form1120S"
    ret["AccountantCopy"] = {"AccountantCopyExists": "false"}
    return ret


def preferences_ret(profile: CountryProfile) -> dict[str, Any]:
    """PreferencesRet; account references are filled in by full name and resolved on seeding."""
    prefs: dict[str, Any] = {
        "AccountingPreferences": {
            "IsUsingAccountNumbers": "true",
            "IsRequiringAccounts": "true",
            "IsUsingClassTracking": "true",
            "AssignClassesTo": "None",
            "IsUsingAuditTrail": "true",
            "IsAssigningJournalEntryNumbers": "true",
        },
        "FinanceChargePreferences": {
            "AnnualInterestRate": "0.00",
            "MinFinanceCharge": "0.00",
            "GracePeriod": "0",
            "IsAssessingForOverdueCharges": "false",
            "CalculateChargesFrom": "DueDate",
            "IsMarkedToBePrinted": "false",
        },
        "JobsAndEstimatesPreferences": {
            "IsUsingEstimates": "true",
            "IsUsingProgressInvoicing": "false",
            "IsPrintingItemsWithZeroAmounts": "false",
        },
        "MultiCurrencyPreferences": {"IsMultiCurrencyOn": "false"},
        "PurchasesAndVendorsPreferences": {
            "IsUsingInventory": "true",
            "DaysBillsAreDue": "10",
            "IsAutomaticallyUsingDiscounts": "false",
        },
        "ReportsPreferences": {"AgingReportBasis": "AgeFromDueDate", "SummaryReportBasis": "Accrual"},
        "SalesAndCustomersPreferences": {
            "DefaultShipMethodRef": {"FullName": "UPS"},
            "IsTrackingReimbursedExpensesAsIncome": "false",
            "IsAutoApplyingPayments": "true",
            "PriceLevels": {"IsUsingPriceLevels": "false"},
        },
    }
    if profile.country == "US":
        prefs["MultiLocationInventoryPreferences"] = {
            "IsMultiLocationInventoryAvailable": "false",
            "IsMultiLocationInventoryEnabled": "false",
        }
        prefs["SalesTaxPreferences"] = {
            "DefaultItemSalesTaxRef": {"FullName": "King County"},
            "PaySalesTax": "Monthly",
            "DefaultTaxableSalesTaxCodeRef": {"FullName": profile.taxable_code},
            "DefaultNonTaxableSalesTaxCodeRef": {"FullName": profile.non_taxable_code},
        }
    prefs["TimeTrackingPreferences"] = {"FirstDayOfWeek": "Monday"}
    prefs["CurrentAppAccessRights"] = {
        "IsAutomaticLoginAllowed": "true",
        "AutomaticLoginUserName": "Admin",
        "IsPersonalDataAccessAllowed": "false",
    }
    prefs["ItemsAndInventoryPreferences"] = {
        "EnhancedInventoryReceivingEnabled": "false",
        "IsTrackingSerialOrLotNumber": "None",
        "FIFOEnabled": "false",
        "IsRSBEnabled": "false",
        "IsBarcodeEnabled": "true",
    }
    return prefs


def _account(name: str, account_type: str, number: str, **extra: Any) -> SeedObject:
    data: dict[str, Any] = {"Name": name, "AccountType": account_type, "AccountNumber": number}
    data.update(extra)
    return ("Account", data)


def _accounts() -> list[SeedObject]:
    special = "SpecialAccountType"
    return [
        _account("Checking", "Bank", "10100", Desc="Operating account", Balance="18430.27"),
        _account("Savings", "Bank", "10200", Desc="Reserve account", Balance="25000.00"),
        _account("Petty Cash", "Bank", "10300", Balance="250.00"),
        _account(
            "Accounts Receivable",
            "AccountsReceivable",
            "11000",
            **{special: "AccountsReceivable"},
            Balance="4210.55",
        ),
        _account(
            "Undeposited Funds",
            "OtherCurrentAsset",
            "12000",
            **{special: "UndepositedFunds"},
            Desc="Undeposited Funds",
            Balance="1523.40",
        ),
        _account(
            "Inventory Asset",
            "OtherCurrentAsset",
            "12100",
            **{special: "InventoryAssets"},
            Desc="Cost of inventory purchased for resale",
            Balance="9876.10",
        ),
        _account("Prepaid Expenses", "OtherCurrentAsset", "12500"),
        _account("Furniture and Equipment", "FixedAsset", "15000", Balance="12400.00"),
        _account("Vehicles", "FixedAsset", "15100", Balance="28500.00"),
        _account("Accumulated Depreciation", "FixedAsset", "17000", Balance="-6200.00"),
        _account(
            "Accounts Payable", "AccountsPayable", "20000", **{special: "AccountsPayable"}, Balance="3120.00"
        ),
        _account("Company Visa", "CreditCard", "20500", Balance="845.12"),
        _account("Customer Deposits", "OtherCurrentLiability", "23000"),
        _account("Payroll Liabilities", "OtherCurrentLiability", "24000", **{special: "PayrollLiabilities"}),
        _account(
            "Sales Tax Payable",
            "OtherCurrentLiability",
            "25500",
            **{special: "SalesTaxPayable"},
            Balance="612.48",
        ),
        _account("Equipment Loan", "LongTermLiability", "27000", Balance="15000.00"),
        _account("Opening Balance Equity", "Equity", "30000", **{special: "OpeningBalanceEquity"}),
        _account("Owner's Equity", "Equity", "30100"),
        _account("Retained Earnings", "Equity", "32000", **{special: "RetainedEarnings"}),
        _account("Sales", "Income", "40000", Desc="Gross sales"),
        _account("Merchandise", "Income", "40100", _parent="Sales", Desc="Sales of goods"),
        _account("Services", "Income", "40200", _parent="Sales", Desc="Rentals, repairs and services"),
        _account("Shipping and Delivery Income", "Income", "40500"),
        _account("Sales Discounts", "Income", "49000", Desc="Discounts given to customers"),
        _account("Uncategorized Income", "Income", "49900", **{special: "UncategorizedIncome"}),
        _account(
            "Cost of Goods Sold",
            "CostOfGoodsSold",
            "50000",
            **{special: "CostOfGoodsSold"},
            Desc="Cost of goods sold",
        ),
        _account("Freight and Shipping Costs", "CostOfGoodsSold", "50200"),
        _account("Merchant Account Fees", "CostOfGoodsSold", "50500"),
        _account("Advertising and Promotion", "Expense", "60000"),
        _account("Bank Service Charges", "Expense", "60400"),
        _account("Computer and Internet Expenses", "Expense", "61700"),
        _account("Insurance Expense", "Expense", "63300"),
        _account("Office Supplies", "Expense", "64900"),
        _account("Payroll Expenses", "Expense", "66000", **{special: "PayrollExpenses"}),
        _account("Professional Fees", "Expense", "66700"),
        _account("Rent Expense", "Expense", "67100"),
        _account("Repairs and Maintenance", "Expense", "67200"),
        _account("Telephone Expense", "Expense", "68100"),
        _account("Utilities", "Expense", "68600"),
        _account("Uncategorized Expenses", "Expense", "69800", **{special: "UncategorizedExpenses"}),
        _account("Interest Income", "OtherIncome", "70000"),
        _account("Other Miscellaneous Expense", "OtherExpense", "80000"),
        _account("Purchase Orders", "NonPosting", "90100", **{special: "PurchaseOrders"}),
        _account("Estimates", "NonPosting", "90200", **{special: "Estimates"}),
        _account("Sales Orders", "NonPosting", "90300", **{special: "SalesOrders"}),
    ]


def _ref(full_name: str) -> dict[str, str]:
    return {"FullName": full_name}


def _us_sales_tax() -> list[SeedObject]:
    vendor = _ref("Washington State Dept. of Revenue")
    return [
        (
            "ItemSalesTax",
            {
                "Name": "King County",
                "ItemDesc": "WA state + King County sales tax",
                "TaxRate": "10.25",
                "TaxVendorRef": vendor,
            },
        ),
        (
            "ItemSalesTax",
            {
                "Name": "WA State",
                "ItemDesc": "Washington state sales tax",
                "TaxRate": "6.5",
                "TaxVendorRef": vendor,
            },
        ),
        (
            "ItemSalesTax",
            {
                "Name": "Bayview City",
                "ItemDesc": "Bayview city sales tax",
                "TaxRate": "3.75",
                "TaxVendorRef": vendor,
            },
        ),
        (
            "ItemSalesTax",
            {
                "Name": "Out of State",
                "ItemDesc": "Out-of-state sale, exempt from sales tax",
                "TaxRate": "0.0",
                "TaxVendorRef": vendor,
            },
        ),
        (
            "ItemSalesTaxGroup",
            {
                "Name": "Bayview Combined",
                "ItemDesc": "WA state + Bayview city",
                "ItemSalesTaxRef": [_ref("WA State"), _ref("Bayview City")],
            },
        ),
    ]


def _items(profile: CountryProfile) -> list[SeedObject]:
    tax, non = _ref(profile.taxable_code), _ref(profile.non_taxable_code)
    merch, services = _ref("Sales:Merchandise"), _ref("Sales:Services")
    cogs, asset = _ref("Cost of Goods Sold"), _ref("Inventory Asset")
    acme = _ref("Acme Widget Supply")

    def inventory(name: str, price: str, cost: str, qoh: str, **extra: Any) -> SeedObject:
        data: dict[str, Any] = {
            "Name": name,
            "SalesTaxCodeRef": tax,
            "SalesDesc": extra.pop("SalesDesc", name),
            "SalesPrice": price,
            "IncomeAccountRef": merch,
            "PurchaseDesc": extra.pop("PurchaseDesc", name),
            "PurchaseCost": cost,
            "COGSAccountRef": cogs,
            "PrefVendorRef": acme,
            "AssetAccountRef": asset,
            "QuantityOnHand": qoh,
            "AverageCost": cost,
            "QuantityOnOrder": "0",
            "QuantityOnSalesOrder": "0",
        }
        data.update(extra)
        return ("ItemInventory", data)

    return [
        ("ItemSubtotal", {"Name": "Subtotal", "ItemDesc": "Subtotal"}),
        (
            "ItemService",
            {
                "Name": "Gift Wrap",
                "SalesTaxCodeRef": tax,
                "SalesOrPurchase": {"Desc": "Gift wrapping service", "Price": "4.99", "AccountRef": services},
            },
        ),
        (
            "ItemService",
            {
                "Name": "Kayak Rental",
                "SalesTaxCodeRef": non,
                "SalesOrPurchase": {
                    "Desc": "Kayak rental, per day",
                    "Price": "45.00",
                    "AccountRef": services,
                },
            },
        ),
        (
            "ItemService",
            {
                "Name": "Repair Labor",
                "SalesTaxCodeRef": non,
                "SalesOrPurchase": {
                    "Desc": "Repair labor, per hour",
                    "Price": "65.00",
                    "AccountRef": services,
                },
            },
        ),
        (
            "ItemNonInventory",
            {
                "Name": "Catalog Special Order",
                "SalesTaxCodeRef": tax,
                "SalesAndPurchase": {
                    "SalesDesc": "Special order item (see memo)",
                    "SalesPrice": "0.00",
                    "IncomeAccountRef": merch,
                    "PurchaseDesc": "Special order item",
                    "PurchaseCost": "0.00",
                    "ExpenseAccountRef": cogs,
                },
            },
        ),
        (
            "ItemNonInventory",
            {
                "Name": "Printed Chart",
                "SalesTaxCodeRef": tax,
                "SalesOrPurchase": {"Desc": "Printed nautical chart", "Price": "12.95", "AccountRef": merch},
            },
        ),
        inventory("Widgets", "0.00", "0.00", "0", SalesDesc="Widgets", PurchaseDesc="Widgets"),
        inventory(
            "Blue Widget",
            "19.99",
            "8.25",
            "42",
            _parent="Widgets",
            BarCodeValue="012345678905",
            ManufacturerPartNumber="BW-100",
            SalesDesc="Blue widget, 10 cm",
            PurchaseDesc="Blue widget",
            ReorderPoint="10",
            AverageCost="8.1833",
            QuantityOnOrder="24",
            QuantityOnSalesOrder="3",
        ),
        inventory(
            "Red Widget",
            "21.50",
            "9.10",
            "-2",
            _parent="Widgets",
            ManufacturerPartNumber="RW-100",
            SalesDesc="Red widget, 10 cm",
            PurchaseDesc="Red widget",
        ),
        inventory(
            "Rope (per ft)",
            "0.35",
            "0.12",
            "1187.5",
            SalesDesc="Braided rope, sold by the foot",
            QuantityOnSalesOrder="40",
        ),
        inventory(
            "Dry Bag 20L", "34.00", "14.50", "15", SalesDesc="Roll-top dry bag, 20 litres", ReorderPoint="5"
        ),
        (
            "ItemOtherCharge",
            {
                "Name": "Shipping",
                "SalesTaxCodeRef": non,
                "SalesOrPurchase": {
                    "Desc": "Shipping and handling",
                    "Price": "0.00",
                    "AccountRef": _ref("Shipping and Delivery Income"),
                },
            },
        ),
        (
            "ItemOtherCharge",
            {
                "Name": "Rush Handling",
                "SalesTaxCodeRef": non,
                "SalesOrPurchase": {
                    "Desc": "Same-day handling fee",
                    "Price": "15.00",
                    "AccountRef": _ref("Shipping and Delivery Income"),
                },
            },
        ),
        (
            "ItemDiscount",
            {
                "Name": "Discount 10%",
                "ItemDesc": "10% loyalty discount",
                "SalesTaxCodeRef": tax,
                "DiscountRatePercent": "10.0",
                "AccountRef": _ref("Sales Discounts"),
            },
        ),
        (
            "ItemDiscount",
            {
                "Name": "Coupon $5",
                "ItemDesc": "$5 off coupon",
                "SalesTaxCodeRef": tax,
                "DiscountRate": "5.00",
                "AccountRef": _ref("Sales Discounts"),
            },
        ),
    ]


def seed_objects(profile: CountryProfile) -> list[SeedObject]:
    """Every object of the sample file, in an order where references point backwards."""
    objects: list[SeedObject] = []
    for index, (name, taxable, desc) in enumerate(profile.tax_codes):
        data: dict[str, Any] = {"Name": name, "IsTaxable": "true" if taxable else "false", "Desc": desc}
        if index < 2:
            data["_list_id_prefix"] = f"{index + 1}0000"
        objects.append(("SalesTaxCode", data))
    objects += _accounts()
    objects += [
        ("StandardTerms", {"Name": "Due on receipt", "StdDueDays": "0"}),
        ("StandardTerms", {"Name": "Net 15", "StdDueDays": "15"}),
        ("StandardTerms", {"Name": "Net 30", "StdDueDays": "30"}),
        (
            "StandardTerms",
            {"Name": "1% 10 Net 30", "StdDueDays": "30", "StdDiscountDays": "10", "DiscountPct": "1.0"},
        ),
    ]
    objects += [("ShipMethod", {"Name": name}) for name in ("UPS", "FedEx", "USPS", "Will Call")]
    objects += [
        ("PaymentMethod", {"Name": name, "PaymentMethodType": kind})
        for name, kind in (
            ("Cash", "Cash"),
            ("Check", "Check"),
            ("Visa", "Visa"),
            ("MasterCard", "MasterCard"),
            ("American Express", "AmericanExpress"),
            ("Discover", "Discover"),
            ("Debit Card", "DebitCard"),
            ("E-Check", "ECheck"),
            ("Gift Card", "GiftCard"),
        )
    ]
    objects += [
        ("Class", {"Name": "Retail"}),
        ("Class", {"Name": "Online"}),
        ("Class", {"Name": "Marketplace", "_parent": "Online"}),
        ("Class", {"Name": "Rentals"}),
        ("CustomerType", {"Name": "Retail"}),
        ("CustomerType", {"Name": "Wholesale"}),
    ]
    address = {"City": profile.city, "State": profile.state, "PostalCode": profile.postal_code}
    if not profile.state:
        del address["State"]
    objects += [
        (
            "Vendor",
            {
                "Name": "Washington State Dept. of Revenue",
                "CompanyName": "Washington State Dept. of Revenue",
                "VendorAddress": {
                    "Addr1": "PO Box 47464",
                    "City": "Olympia",
                    "State": "WA",
                    "PostalCode": "98504",
                },
                "IsVendorEligibleFor1099": "false",
                "Balance": "612.48",
                "IsSalesTaxAgency": "true",
            },
        ),
        (
            "Vendor",
            {
                "Name": "Acme Widget Supply",
                "CompanyName": "Acme Widget Supply Co.",
                "VendorAddress": {
                    "Addr1": "Acme Widget Supply Co.",
                    "Addr2": "77 Industrial Pkwy",
                    **address,
                },
                "Phone": "555-0199",
                "TermsRef": _ref("Net 30"),
                "IsVendorEligibleFor1099": "false",
                "Balance": "3120.00",
            },
        ),
        (
            "Vendor",
            {
                "Name": "Cascade Paddle Works",
                "CompanyName": "Cascade Paddle Works",
                "IsVendorEligibleFor1099": "false",
                "Balance": "0.00",
            },
        ),
        (
            "Vendor",
            {
                "Name": "Puget Power & Light",
                "CompanyName": "Puget Power & Light",
                "IsVendorEligibleFor1099": "false",
                "Balance": "0.00",
            },
        ),
        (
            "Employee",
            {
                "Name": "Dana Whitfield",
                "FirstName": "Dana",
                "LastName": "Whitfield",
                "JobTitle": "Store Manager",
            },
        ),
        ("OtherName", {"Name": "Owner"}),
    ]
    if profile.has_sales_tax_items:
        objects += _us_sales_tax()
    objects += _items(profile)
    tax_refs: dict[str, Any] = {"SalesTaxCodeRef": _ref(profile.taxable_code)}
    if profile.has_sales_tax_items:
        tax_refs["ItemSalesTaxRef"] = _ref("King County")
    objects += [
        (
            "Customer",
            {
                "Name": "Walk-in Customer",
                "CustomerTypeRef": _ref("Retail"),
                **tax_refs,
                "Notes": "Point-of-sale counter sales",
            },
        ),
        (
            "Customer",
            {
                "Name": "Alder Creek Outfitters",
                "CompanyName": "Alder Creek Outfitters",
                "FirstName": "Maya",
                "LastName": "Lindqvist",
                "BillAddress": {"Addr1": "Alder Creek Outfitters", "Addr2": "410 Mill Road", **address},
                "Phone": "206-555-0133",
                "Email": "orders@aldercreek.example",
                "CustomerTypeRef": _ref("Wholesale"),
                "TermsRef": _ref("Net 30"),
                "Balance": "2950.00",
                **tax_refs,
                "AccountNumber": "C-1001",
                "CreditLimit": "10000.00",
            },
        ),
        (
            "Customer",
            {
                "Name": "Cedar Point Rowing Club",
                "CompanyName": "Cedar Point Rowing Club",
                "BillAddress": {"Addr1": "Cedar Point Rowing Club", "Addr2": "9 Boathouse Lane", **address},
                "Email": "treasurer@cedarpoint.example",
                "TermsRef": _ref("Net 15"),
                "Balance": "1260.55",
                **tax_refs,
            },
        ),
        (
            "Customer",
            {
                "Name": "Rainier Trail Co",
                "CompanyName": "Rainier Trail Co",
                "TermsRef": _ref("Net 30"),
                **tax_refs,
            },
        ),
        (
            "Customer",
            {
                "Name": "Spring Catalog",
                "_parent": "Rainier Trail Co",
                "JobStatus": "InProgress",
                "JobDesc": "Spring catalog photo shoot gear",
                **tax_refs,
            },
        ),
        (
            "Customer",
            {"Name": "Old Town Marina", "IsActive": "false", "CompanyName": "Old Town Marina", **tax_refs},
        ),
    ]
    objects += [("Template", {"Name": name, "TemplateType": kind}) for name, kind in TEMPLATES]
    return objects
