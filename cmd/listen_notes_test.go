package cmd

import (
	"context"
	"log/slog"
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

// While the live view has the screen, error-level lines (a stuck store)
// reach it at once, readable; warnings wait in the buffer, and a view that
// is behind never blocks the logger.
func TestTailBufferSendsErrorsToTheView(t *testing.T) {
	b, loud := &tailBuffer{max: 50}, make(chan string, 1)
	log := slog.New(newLoudHandler(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelWarn}), loud))
	log.Warn("handler error", "path", "/voice")
	log.Error("STORE IS STUCK: answered without waiting for the exchange to be saved", "path", "/voice")
	log.Error("STORE FAILED: this exchange is NOT saved") // the channel is full: dropped, not blocked
	select {
	case got := <-loud:
		if got != "STORE IS STUCK: answered without waiting for the exchange to be saved path=/voice" {
			t.Errorf("view got %q", got)
		}
	default:
		t.Fatal("the error never reached the view")
	}
	if len(loud) != 0 || b.Total() != 3 {
		t.Errorf("%d queued, %d kept", len(loud), b.Total())
	}

	ios, _, _, _ := cmdutil.Test()
	var wg sync.WaitGroup
	cfg := tuiConfig(context.Background(), &cmdutil.Factory{IOStreams: ios}, liveSession{Warnings: loud}, &wg)
	wg.Wait()
	if cfg.Warnings == nil {
		t.Error("tuiConfig dropped the warnings channel")
	}
}

// Attributes added with With and a group reach the view's line as slog's
// text handler writes them, quoting included.
func TestLoudHandlerKeepsAttrs(t *testing.T) {
	b, loud := &tailBuffer{max: 50}, make(chan string, 1)
	log := slog.New(newLoudHandler(slog.NewTextHandler(b, nil), loud)).With("listener", "local").WithGroup("g")
	log.Error("local listener stopped", "error", "accept: too many files")
	if got := <-loud; got != `local listener stopped listener=local g.error="accept: too many files"` {
		t.Errorf("view got %q", got)
	}
	if l := b.Lines(); len(l) != 1 || !strings.Contains(l[0], `level=ERROR msg="local listener stopped" listener=local g.error="accept: too many files"`) {
		t.Errorf("kept %q", l)
	}
}
