package flinkstest_test

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/syncer/syncer/extract/flinkstest"
)

// A test starts a sandbox, opens a session and polls until the payload.
func ExampleNew() {
	s := flinkstest.New(flinkstest.Config{Seed: 1, Pending: flinkstest.FixedPending(1),
		AsOf: time.Date(2025, 1, 31, 0, 0, 0, 0, time.UTC)})
	defer s.Close()
	login := flinkstest.DemoLogins(1, 1)[0]
	root := s.URL + "/v3/" + flinkstest.DefaultCustomerID

	resp, _ := http.Post(root+"/BankingServices/Authorize", "application/json", strings.NewReader(`{"LoginId":"`+login+`","MostRecentCached":true}`))
	resp.Body.Close()
	requestID := s.Requests()[0].RequestID
	for range 2 {
		resp, _ := http.Post(root+"/Investments", "application/json", strings.NewReader(`{"LoginId":"`+login+`","RequestId":"`+requestID+`"}`))
		resp.Body.Close()
		fmt.Println(resp.StatusCode)
	}
	fmt.Println(s.Count(flinkstest.EndpointInvestments, login), "investments calls")
	// Output:
	// 202
	// 200
	// 2 investments calls
}
