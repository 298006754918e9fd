package numbers_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/swhook/swhook/tunnel/numbers"
)

// TestClientFollowsNoRedirect: the REST API does not redirect, so an
// answer that does is an error, and the credentials go nowhere else (Go
// keeps Authorization on a redirect to the same host, even to http).
func TestClientFollowsNoRedirect(t *testing.T) {
	var leaked atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/elsewhere" {
			if r.Header.Get("Authorization") != "" {
				leaked.Store(true)
			}
			w.Write([]byte(`{"data":[]}`))
			return
		}
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	}))
	defer srv.Close()
	c, err := numbers.NewClient(numbers.Credentials{Project: "p", Space: srv.URL, Token: "PTsecret42"}, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ListNumbers(context.Background(), "")
	if err == nil || !strings.Contains(err.Error(), "302") || strings.Contains(err.Error(), "PTsecret42") {
		t.Errorf("err %v", err)
	}
	if leaked.Load() {
		t.Error("the credentials followed the redirect")
	}
}
