package flinkstest

import (
	"fmt"
	"strings"
)

// DemoLogins returns n healthy LoginIds (GUIDs), the same for the same seed.
func DemoLogins(seed int64, n int) []string {
	out := make([]string, 0, n)
	for i := uint64(0); len(out) < n; i++ {
		id := guid(mix(uint64(seed), streamDemo, i, 1), mix(uint64(seed), streamDemo, i, 2))
		_, isFault := parseFaultLogin(id)
		_, isAged := parseRefreshLogin(id)
		if !isFault && !isAged {
			out = append(out, id)
		}
	}
	return out
}

// demoFaults are the faults DemoText shows an example of.
var demoFaults = []Fault{FaultRetryLater, FaultDisabledLogin, FaultMFA, FaultSessionNonexistent, FaultHTTP503, FaultTruncatedJSON, FaultNeverReady, FaultMalformed}

// DemoText is a short help for a person running the sandbox at url: how to
// point a sync at it, some healthy LoginIds and some that trigger faults. It
// holds no secrets.
func DemoText(url string, seed int64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Flinks sandbox listening on %s (customerId %s, seed %d)\n\n", url, DefaultCustomerID, seed)
	fmt.Fprintf(&b, "Sync a login against it:\n  syncer sync --base-url %s --login %s\n\n", url, DemoLogins(seed, 1)[0])
	fmt.Fprintf(&b, "Banking data (GetAccountsDetail: accounts, balances, transactions, holders) too, from the same session:\n  syncer sync --base-url %s --products investments,banking --login %s\n", url, DemoLogins(seed, 1)[0])
	b.WriteString("(Flinks retired /Investments on 2026-04-30: start the sandbox with --retired-investments to see\nwhat the syncer says, and sync with --products banking.)\n\n")
	b.WriteString("Healthy demo LoginIds (any other GUID works too; its data derives from it):\n")
	for _, id := range DemoLogins(seed, 5) {
		fmt.Fprintf(&b, "  %s\n", id)
	}
	b.WriteString("\nFault LoginIds: fa11FFFF-KKKK-4000-8000-NNNNNNNNNNNN, FFFF = fault number,\n")
	b.WriteString("KKKK = fail the first K times then behave (0000 = always), N = any number. E.g.:\n")
	for _, f := range demoFaults {
		fmt.Fprintf(&b, "  %s  %s\n", FaultLogin(f, 1), f)
	}
	fmt.Fprintf(&b, "  %s  %s, then healthy\n", TransientFaultLogin(FaultRetryLater, 2, 1), FaultRetryLater)
	b.WriteString("\nStale LoginIds: a9edDDDD-FFFF-4000-8000-NNNNNNNNNNNN, data last refreshed DDDD days before the\n")
	b.WriteString("as-of date; FFFF = 0000 LastRefresh sent, 0001 absent, 0002 null, 0003 not a timestamp. E.g.:\n")
	fmt.Fprintf(&b, "  %s  refreshed 3 days ago\n", StaleLogin(3, 1))
	fmt.Fprintf(&b, "  %s  no LastRefresh\n", RefreshLogin(0, RefreshAbsent, 1))
	b.WriteString("Fault numbers: ")
	for i, f := range Faults() {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%d %s", int(f), f)
	}
	b.WriteString("\n")
	return b.String()
}
