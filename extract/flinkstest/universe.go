package flinkstest

import (
	"strconv"
	"strings"
)

// The security universe: about 200 securities shared by every login and
// every seed, so the same security shows up across accounts and logins.

// qtyKind is how quantities of a security look.
type qtyKind int8

const (
	qtyWhole  qtyKind = iota // shares: 1..2000
	qtyUnits4                // fund units with 4 decimals
	qtyUnits6                // fund units with 6 decimals
	qtyCrypto                // 8 decimals, fractions of a coin
	qtyMicro                 // very many of a coin priced below a cent
)

type security struct {
	id, symbol, name string
	cusip, isin      string // "" = null
	typ, currency    string
	price            num // base price; the day's price drifts around it
	qty              qtyKind
}

var (
	universe   = buildUniverse()
	byCurrency = indexByCurrency(universe)
)

type seedSecurity struct {
	symbol, name, typ, currency, price string
	cusip                              string // 8 characters without check digit; "" = none
	country                            string // ISIN country; "" = no ISIN
	qty                                qtyKind
}

var namedSecurities = []seedSecurity{
	{"XIC", "iShares Core S&P/TSX Capped Composite ETF", "etf", "cad", "38.12", "46436Q10", "CA", qtyWhole},
	{"VFV", "Vanguard S&P 500 Index ETF", "etf", "cad", "142.55", "92205Y10", "CA", qtyWhole},
	{"XEQT", "iShares Core Equity ETF Portfolio", "etf", "cad", "31.40", "46436D10", "CA", qtyWhole},
	{"VGRO", "Vanguard Growth ETF Portfolio", "etf", "cad", "35.20", "92206C10", "CA", qtyWhole},
	{"ZAG", "BMO Aggregate Bond Index ETF", "etf", "cad", "13.85", "05573W10", "CA", qtyWhole},
	{"SHOP", "Shopify Inc.", "stock", "cad", "152.30", "82509L10", "CA", qtyWhole},
	{"RY", "Royal Bank of Canada", "stock", "cad", "171.02", "78008710", "CA", qtyWhole},
	{"TD", "Toronto-Dominion Bank", "stock", "cad", "82.41", "89116050", "CA", qtyWhole},
	{"ENB", "Enbridge Inc.", "stock", "cad", "61.33", "29250N10", "CA", qtyWhole},
	{"NA", "Banque Nationale du Canada", "stock", "cad", "128.45", "63306710", "CA", qtyWhole},
	{"ATD", "Alimentation Couche-Tard Inc.", "stock", "cad", "76.10", "01626P14", "CA", qtyWhole},
	{"GIB.A", "Groupe CGI inc., catégorie A", "stock", "cad", "155.20", "12532H10", "CA", qtyWhole},
	{"AAPL", "Apple Inc.", "stock", "usd", "229.87", "03783310", "US", qtyWhole},
	{"MSFT", "Microsoft Corp.", "stock", "usd", "415.10", "59491810", "US", qtyWhole},
	{"NVDA", "NVIDIA Corp.", "stock", "usd", "138.25", "67066G10", "US", qtyWhole},
	{"TM", "トヨタ自動車株式会社 (Toyota Motor Corp.) ADR", "stock", "usd", "178.40", "89233130", "US", qtyWhole},
	{"SONY", "ソニーグループ株式会社 ADR", "stock", "usd", "21.30", "83569930", "US", qtyWhole},
	{"NSRGY", "Nestlé S.A. ADR", "stock", "usd", "85.12", "64106940", "US", qtyWhole},
	{"MURGY", "Münchener Rückversicherungs-Gesellschaft AG ADR", "stock", "usd", "52.10", "", "", qtyWhole},
	{"VOO", "Vanguard S&P 500 ETF", "etf", "usd", "540.12", "92290842", "US", qtyWhole},
	{"QQQ", "Invesco QQQ Trust", "etf", "usd", "505.77", "46090E10", "US", qtyWhole},
	{"TDB902", "TD e-Series Canadian Index Fund", "mutualfund", "cad", "12.3456", "", "CA", qtyUnits6},
	{"RBF556", "RBC Select Balanced Portfolio", "mutualfund", "cad", "31.2210", "", "", qtyUnits4},
	{"DJT03868", "Fonds équilibré Desjardins SociéTerre", "mutualfund", "cad", "14.0833", "", "", qtyUnits6},
	{"BTC", "Bitcoin", "crypto", "usd", "95123.45", "", "", qtyCrypto},
	{"ETH", "Ethereum", "crypto", "usd", "3345.67", "", "", qtyCrypto},
	{"BTC-CAD", "Bitcoin (CAD)", "crypto", "cad", "131456.78", "", "", qtyCrypto},
	{"ETH-CAD", "Ethereum (CAD)", "crypto", "cad", "4610.12", "", "", qtyCrypto},
	{"SHIB", "Shiba Inu", "crypto", "usd", "0.00002345", "", "", qtyMicro},
	{"MICRO", "Microcoin", "crypto", "usd", "0.000000011", "", "", qtyMicro},
}

var (
	nameWords    = []string{"Boréal", "Érable", "Nordique", "Zürich", "Lumière", "Pacific", "Maple", "Summit", "Cascade", "Aurora", "Prairie", "Tundra", "Glacier", "Harbour", "Keystone", "Orchard", "Sakura 桜", "Fjord"}
	stockSuffix  = []string{"Resources Inc.", "Holdings Ltd.", "Energy Corp.", "Technologies Inc.", "Financial Group", "Mines Ltd.", "Pharma AG", "Capital Corp."}
	fundSuffix   = []string{"Balanced Fund", "Fonds de revenu", "Dividend Fund", "Global Equity Fund"}
	etfSuffix    = []string{"Index ETF", "Covered Call ETF", "Bond ETF"}
	bondSuffixes = []string{"Province of Québec 3.50% 2045", "Government of Canada 2.75% 2055", "US Treasury 4.25% 2034", "Hydro-Québec 4.00% 2063"}
)

func buildUniverse() []security {
	out := make([]security, 0, 200)
	for _, s := range namedSecurities {
		out = append(out, newSecurity(s))
	}
	for i := 0; len(out) < 200; i++ {
		h := mix(uint64(i), 0x5ec)
		currency := "cad"
		country := "CA"
		if i%3 == 2 {
			currency, country = "usd", "US"
		}
		word := nameWords[h%uint64(len(nameWords))]
		s := seedSecurity{currency: currency, country: country, qty: qtyWhole}
		switch i % 10 {
		case 0, 1, 2, 3, 4, 5:
			s.typ = "stock"
			s.symbol = letters(i, 3)
			s.name = word + " " + stockSuffix[(h>>8)%uint64(len(stockSuffix))]
			s.price = cents(200 + h>>16%40000)
		case 6, 7:
			s.typ = "etf"
			s.symbol = "Z" + letters(i, 3)
			s.name = word + " " + etfSuffix[(h>>8)%uint64(len(etfSuffix))]
			s.price = cents(1000 + h>>16%9000)
		case 8:
			s.typ = "mutualfund"
			s.symbol = "FND" + strconv.Itoa(100+i)
			s.name = word + " " + fundSuffix[(h>>8)%uint64(len(fundSuffix))]
			s.price = strconv.Itoa(5+int(h>>16%40)) + "." + pad(int(h>>24%10000), 4)
			s.qty = qtyUnits4 + qtyKind(i/10%2)
		case 9:
			s.typ = "bond"
			s.symbol = "BND" + strconv.Itoa(100+i)
			s.name = bondSuffixes[(h>>8)%uint64(len(bondSuffixes))] + " #" + strconv.Itoa(i)
			s.price = strconv.Itoa(85+int(h>>16%20)) + "." + pad(int(h>>24%1000), 3)
		}
		if s.typ != "mutualfund" && h>>40%10 < 8 {
			s.cusip = strings.ToUpper(pad(int(h>>20%1000000), 6)) + letters(i, 2)
		}
		if h>>44%20 < 3 {
			s.country = "" // no ISIN
		}
		out = append(out, newSecurity(s))
	}
	return out
}

func newSecurity(s seedSecurity) security {
	sec := security{
		id:       "sec-" + slug(s.symbol),
		symbol:   s.symbol,
		name:     s.name,
		typ:      s.typ,
		currency: s.currency,
		price:    parseNum(s.price),
		qty:      s.qty,
	}
	nsin := ""
	if s.cusip != "" {
		sec.cusip = s.cusip + string(rune('0'+cusipCheck(s.cusip)))
		nsin = sec.cusip
	}
	if s.country != "" {
		if nsin == "" {
			nsin = pad(int(hashString(s.symbol)%1000000000), 9)
		}
		body := s.country + nsin
		sec.isin = body + string(rune('0'+isinCheck(body)))
	}
	return sec
}

func indexByCurrency(u []security) map[string][]int {
	m := map[string][]int{}
	for i, s := range u {
		m[s.currency] = append(m[s.currency], i)
	}
	return m
}

// letters spells i in base 26 with n upper-case letters.
func letters(i, n int) string {
	b := make([]byte, n)
	for j := n - 1; j >= 0; j-- {
		b[j] = byte('A' + i%26)
		i /= 26
	}
	return string(b)
}

func pad(v, n int) string {
	s := strconv.Itoa(v)
	for len(s) < n {
		s = "0" + s
	}
	return s
}

func cents(c uint64) string { return strconv.FormatUint(c/100, 10) + "." + pad(int(c%100), 2) }

func slug(s string) string {
	b := []byte(strings.ToLower(s))
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			b[i] = '-'
		}
	}
	return string(b)
}

// parseNum reads a plain decimal literal from the tables above.
func parseNum(s string) num {
	ip, fp, _ := strings.Cut(s, ".")
	u, err := strconv.ParseInt(ip+fp, 10, 64)
	if err != nil {
		panic("flinkstest: bad number literal " + s)
	}
	return num{u: u, s: int8(len(fp))}
}

func charValue(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	}
	return 0
}

// cusipCheck is the CUSIP check digit of the first 8 characters.
func cusipCheck(s string) int {
	sum := 0
	for i := 0; i < 8; i++ {
		v := charValue(s[i])
		if i%2 == 1 {
			v *= 2
		}
		sum += v/10 + v%10
	}
	return (10 - sum%10) % 10
}

// isinCheck is the ISIN check digit (Luhn over the letters' numbers).
func isinCheck(s string) int {
	var digits []int
	for i := 0; i < len(s); i++ {
		v := charValue(s[i])
		if v >= 10 {
			digits = append(digits, v/10, v%10)
		} else {
			digits = append(digits, v)
		}
	}
	sum := 0
	for i := len(digits) - 1; i >= 0; i-- {
		v := digits[i]
		if (len(digits)-1-i)%2 == 0 {
			v *= 2
		}
		sum += v/10 + v%10
	}
	return (10 - sum%10) % 10
}
