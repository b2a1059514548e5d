package transform

import "strings"

// The transaction type vocabulary: transactions.type is always one of these
// (or NULL when Flinks sent none); transactions.type_raw keeps the original.
const (
	TypeBuy          = "buy"
	TypeSell         = "sell"
	TypeDividend     = "dividend"
	TypeInterest     = "interest"
	TypeDeposit      = "deposit"
	TypeWithdrawal   = "withdrawal"
	TypeFee          = "fee"
	TypeTransfer     = "transfer"
	TypeSplit        = "split"
	TypeReinvestment = "reinvestment"
	TypeOther        = "other"
)

// typeSynonyms maps a type, lower-cased with spaces, '_' and '-' removed, to
// the vocabulary.
var typeSynonyms = map[string]string{
	"buy": TypeBuy, "bought": TypeBuy, "purchase": TypeBuy, "purchased": TypeBuy,
	"sell": TypeSell, "sold": TypeSell, "sale": TypeSell,
	"dividend": TypeDividend, "dividends": TypeDividend, "div": TypeDividend, "cashdividend": TypeDividend, "distribution": TypeDividend,
	"interest": TypeInterest, "int": TypeInterest, "interestincome": TypeInterest,
	"deposit": TypeDeposit, "contribution": TypeDeposit, "contrib": TypeDeposit,
	"withdrawal": TypeWithdrawal, "withdraw": TypeWithdrawal, "withdrawl": TypeWithdrawal,
	"fee": TypeFee, "fees": TypeFee, "commission": TypeFee, "charge": TypeFee, "servicefee": TypeFee, "managementfee": TypeFee,
	"transfer": TypeTransfer, "transferin": TypeTransfer, "transferout": TypeTransfer, "tfr": TypeTransfer, "journal": TypeTransfer,
	"split": TypeSplit, "stocksplit": TypeSplit, "reversesplit": TypeSplit,
	"reinvestment": TypeReinvestment, "reinvest": TypeReinvestment, "reinvested": TypeReinvestment, "drip": TypeReinvestment,
	"dividendreinvestment": TypeReinvestment,
	"other":                TypeOther,
}

// NormalizeType maps a Flinks transaction type to the vocabulary above;
// anything unknown is TypeOther.
func NormalizeType(raw string) string {
	k := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '_', '-', '\t':
			return -1
		}
		return r
	}, strings.ToLower(raw))
	if t, ok := typeSynonyms[k]; ok {
		return t
	}
	return TypeOther
}
