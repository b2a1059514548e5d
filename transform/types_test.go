package transform

import "testing"

func TestNormalizeType(t *testing.T) {
	for raw, want := range map[string]string{
		"buy": TypeBuy, "BUY": TypeBuy, " Purchase ": TypeBuy, "sold": TypeSell, "Sell": TypeSell,
		"dividend": TypeDividend, "DIV": TypeDividend, "interest": TypeInterest, "contribution": TypeDeposit,
		"withdrawal": TypeWithdrawal, "fee": TypeFee, "Commission": TypeFee, "transfer": TypeTransfer,
		"Transfer-In": TypeTransfer, "journal": TypeTransfer, "split": TypeSplit, "reverse_split": TypeSplit,
		"reinvestment": TypeReinvestment, "DRIP": TypeReinvestment, "other": TypeOther,
		"": TypeOther, "Réinvestissement": TypeOther, "margin call": TypeOther,
	} {
		if got := NormalizeType(raw); got != want {
			t.Errorf("NormalizeType(%q) = %q, want %q", raw, got, want)
		}
	}
}
