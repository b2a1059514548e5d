package extract_test

import (
	"context"
	"fmt"
	"time"

	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/extract/flinkstest"
)

// A scheduler drives logins step by step and parks them between steps.
func ExampleLogin_Step() {
	s := flinkstest.New(flinkstest.Config{Seed: 1, Pending: flinkstest.FixedPending(2)})
	defer s.Close()
	clock := extract.NewFakeClock(time.Date(2026, 1, 5, 6, 0, 0, 0, time.UTC))
	c, err := extract.New(extract.Config{BankingURL: s.URL, WealthURL: s.URL, CustomerID: flinkstest.DefaultCustomerID, Clock: clock})
	if err != nil {
		panic(err)
	}
	l, err := c.Begin(flinkstest.DemoLogins(1, 1)[0])
	if err != nil {
		panic(err)
	}
	defer l.Close()
	for {
		st := l.Step(context.Background())
		if st.Done {
			fmt.Println("error:", st.Err, "accounts found:", len(st.Payload.Institutions) > 0)
			break
		}
		fmt.Println("wait", st.Wait) // a real scheduler parks the login here
		clock.Advance(st.Wait)
	}
	r := l.Report()
	fmt.Println("polls:", r.Polls, "requests:", r.Requests, "sessions:", r.Sessions)
	// The 48.1ms is the rate's (the default 20 per second spaces requests
	// about 50ms apart), the 10s the poll interval's.

	// Output:
	// wait 0s
	// wait 48.1ms
	// wait 10s
	// wait 10s
	// error: <nil> accounts found: true
	// polls: 2 requests: 4 sessions: 1
}
