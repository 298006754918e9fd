package cmd

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/swhook/swhook/cmd/cmdutil"
)

// The live view's header says in a few words why it is local only; the
// whole hint (how to get a public URL) goes to its notes.
func TestLocalReason(t *testing.T) {
	tests := map[string]string{
		noTokenHint: "no ngrok authtoken",
		strings.Replace(noTokenHint, "no ngrok authtoken:", "no ngrok authtoken, so --domain is unused:", 1): "no ngrok authtoken",
		"read ngrok config /x/ngrok.yml: permission denied; serving locally only":                            "read ngrok config /x/ngrok.yml: permission denied",
	}
	for hint, want := range tests {
		if got := localReason(hint); got != want {
			t.Errorf("localReason(%q) = %q, want %q", hint, got, want)
		}
	}
}

func TestTUIConfigCarriesTheSessionRemarks(t *testing.T) {
	ios, _, _, _ := cmdutil.Test()
	f := &cmdutil.Factory{IOStreams: ios}
	var wg sync.WaitGroup
	s := liveSession{LocalURL: "http://127.0.0.1:4747", Respond: "answer.xml", LocalWhy: "no ngrok authtoken", Notes: []string{noTokenHint}}
	cfg := tuiConfig(context.Background(), f, s, &wg)
	wg.Wait()
	if cfg.Info.Respond != "answer.xml" || cfg.Info.LocalWhy != "no ngrok authtoken" || len(cfg.Info.Notes) != 1 || cfg.Info.Notes[0] != noTokenHint {
		t.Errorf("header info %+v", cfg.Info)
	}
}
