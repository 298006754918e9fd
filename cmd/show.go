package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/pretty"
	"github.com/swhook/swhook/inspect/store"
	"github.com/swhook/swhook/inspect/termsafe"
)

// ShowOptions holds what `swhook show` was asked to do. Each output mode is
// one field plus one branch in runShow (and a MutuallyExclusive name), so
// adding one (say --curl) is a small edit.
type ShowOptions struct {
	IO        *cmdutil.IOStreams
	Now       func() time.Time
	StorePath string
	Ref       string // an ID or "last"
	JSON      bool   // the exchange JSON
	Raw       bool   // the exact request body bytes, for piping
	Curl      bool   // a curl command that sends the request again
}

// NewCmdShow builds `swhook show`. runF replaces the run in tests of
// flag parsing; nil means the real run.
func NewCmdShow(f *cmdutil.Factory, runF func(*ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{IO: f.IOStreams, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "show ID|last",
		Short: "Show one captured exchange in full",
		Long: `Show everything about one exchange: the request line and headers, the form
parameters, the body pretty-printed, the signature verdict with its hint, your
handler's answer and the check of that answer.

--json prints the exchange JSON. --curl prints a curl command that sends the
request again exactly as it came in: its headers (empty ones kept), none curl
would add (Content-Type, User-Agent, Accept are removed when the original
lacked them), and not the X-Forwarded-* swhook's tunnel added. --raw writes the request body exactly as it
arrived, for piping (it refuses to write to a terminal, since raw bytes can
carry escape sequences).`,
		Example: `  swhook show last
  swhook show 42 --json | jq .signature
  swhook show 42 --raw | swhook verify --url https://example.ngrok.app/voice --signature SIG --body-file -`,
		Args: cmdutil.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ref = args[0]
			if _, _, err := parseExchangeRef(opts.Ref); err != nil {
				return err
			}
			if err := cmdutil.MutuallyExclusive(cmd, "json", "raw", "curl"); err != nil {
				return err
			}
			if opts.Raw && opts.IO.IsStdoutTTY() {
				return cmdutil.UsageErrorf("--raw writes the body's exact bytes, which may hold escape sequences: pipe it (| swhook verify ... --body-file -) or redirect it (> body.bin)")
			}
			if runF != nil {
				return runF(opts)
			}
			return runShow(cmd.Context(), f, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the exchange JSON")
	cmd.Flags().BoolVar(&opts.Raw, "raw", false, "write the exact request body bytes to stdout (for pipes)")
	cmd.Flags().BoolVar(&opts.Curl, "curl", false, "print a curl command that sends the request again, signature included")
	cmdutil.AddStoreFlag(cmd, &opts.StorePath)
	return cmd
}

func runShow(ctx context.Context, f *cmdutil.Factory, opts *ShowOptions) error {
	st, err := openExistingStore(ctx, f, opts.StorePath)
	if errors.Is(err, store.ErrNoStore) {
		return errors.New(noExchangesHint)
	}
	if err != nil {
		return err
	}
	defer st.Close()
	x, err := loadExchange(ctx, st, opts.Ref)
	if err != nil {
		return err
	}
	switch {
	case opts.JSON:
		return writeJSON(opts.IO.Out, x)
	case opts.Raw:
		if x.Request.Truncated {
			// The pipe gets what was kept; say so where a person will see it.
			fmt.Fprintf(opts.IO.ErrOut, "warning: exchange #%d's body was truncated when captured: writing the first %d of %d bytes\n",
				x.ID, len(x.Request.Body), x.Request.BodySize)
		}
		_, err := opts.IO.Out.Write(x.Request.Body)
		return err
	case opts.Curl:
		return writeCurl(opts.IO.Out, x)
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	_, err = io.WriteString(opts.IO.Out, renderExchange(x, now(), opts.IO.ColorEnabled()))
	return err
}

// renderExchange lays out one exchange for reading. Everything that came
// from the network goes through termsafe.
func renderExchange(x *exchange.Exchange, now time.Time, color bool) string {
	var b strings.Builder
	paint := func(sgr, s string) string {
		if color && sgr != "" {
			return "\x1b[" + sgr + "m" + s + "\x1b[0m"
		}
		return s
	}
	section := func(title string) {
		b.WriteString("\n" + paint("1", title) + "\n")
	}
	field := func(name, value string) {
		fmt.Fprintf(&b, "%-11s %s\n", name, value)
	}
	indented := func(text string) {
		for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
			b.WriteString("  " + l + "\n")
		}
	}

	// Headline: who, when, what.
	head := fmt.Sprintf("#%d", x.ID)
	event := string(x.Event.Kind)
	if x.Event.Detail != "" {
		event += " " + x.Event.Detail
	}
	fmt.Fprintf(&b, "%s  %s\n", paint("1", head), termsafe.String(event))
	if !x.Time.IsZero() {
		// The detail view gives the exact moment, date and zone included.
		field("Time", x.Time.In(now.Location()).Format("2006-01-02 15:04:05.000 MST"))
	}
	source := string(x.Source)
	if x.ReplayOf > 0 {
		source += fmt.Sprintf(" of #%d", x.ReplayOf)
	}
	field("Source", termsafe.String(source))
	if x.Request.RemoteAddr != "" {
		field("From", termsafe.String(x.Request.RemoteAddr))
	}
	if x.Listener != "" {
		field("Listener", termsafe.String(listenerText(x)))
	}
	if x.Forward != "" {
		field("Forward", termsafe.String(x.Forward))
	}
	if x.Call.ID != "" {
		call := x.Call.ID
		if x.Call.Parent != "" {
			call += " (a leg of " + x.Call.Parent + ")"
		}
		field("Call", termsafe.String(call))
	}

	// Signature verdict.
	badge, sgr := sigBadge(x.Signature.Status)
	verdict := paint(sgr, badge)
	if x.Signature.Scheme != "" {
		verdict += "  scheme " + termsafe.String(x.Signature.Scheme)
	}
	if x.Signature.Header != "" {
		verdict += "  header " + termsafe.String(x.Signature.Header)
	}
	field("Signature", verdict)
	if x.Signature.Hint != "" {
		field("", termsafe.String(x.Signature.Hint))
	} else if x.Signature.Status == exchange.SigUnchecked {
		field("", fmt.Sprintf("no signing key was set when it arrived; 'swhook verify %d' checks it with $%s", x.ID, cmdutil.EnvSigningKey))
	}

	// Request.
	section("Request")
	target := x.Request.URL
	if target == "" {
		target = x.Request.Path
		if x.Request.Query != "" {
			target += "?" + x.Request.Query
		}
	}
	indented(termsafe.String(x.Request.Method) + " " + termsafe.String(target))
	writeHeaders(&b, x.Request.Headers)
	ct := x.Request.Headers.Get("Content-Type")
	if params, ok := pretty.Params(ct, x.Request.Body); ok && len(params) > 0 {
		section("Parameters")
		indented(safeFormTable(params))
	} else if x.Request.Method == http.MethodGet && x.Request.Query != "" {
		// A GET webhook carries its parameters in the query string.
		if params, ok := pretty.Params("application/x-www-form-urlencoded", []byte(x.Request.Query)); ok && len(params) > 0 {
			section("Parameters")
			indented(safeFormTable(params))
		}
	}
	section("Body" + sizeNote(len(x.Request.Body), x.Request.BodySize, x.Request.Truncated))
	if len(x.Request.Body) == 0 {
		indented("(empty)")
	} else if _, ok := pretty.Params(ct, x.Request.Body); ok {
		// The parameters are above; the raw form is what was signed.
		indented(termsafe.String(string(x.Request.Body)))
	} else {
		indented(termsafe.Text(pretty.Body(ct, x.Request.Body)))
	}

	// Response.
	r := x.Response
	section("Response")
	status, ssgr := statusText(r)
	line := paint(ssgr, status)
	if t := http.StatusText(r.Status); t != "" {
		line += " " + t
	}
	line += " in " + durationText(r)
	switch {
	case r.Forwarded:
	case r.Error != "":
		// It was meant for the handler; the error below says why swhook
		// had to answer instead.
		line += "  (answered by swhook)"
	default:
		line += "  (answered by swhook, not forwarded)"
	}
	indented(line)
	if r.Error != "" {
		indented(paint(sgrRedB, "error: ") + termsafe.String(r.Error))
	}
	writeHeaders(&b, r.Headers)
	if len(r.Body) > 0 || r.BodySize > 0 {
		section("Response body" + sizeNote(len(r.Body), r.BodySize, r.Truncated))
		indented(termsafe.Text(pretty.Body(r.Headers.Get("Content-Type"), r.Body)))
	}

	// Check of the answer.
	if c := x.ResponseCheck; c.Status != "" && c.Status != exchange.CheckNA {
		section("Response check")
		word, csgr := checkText(c.Status)
		if word == "" {
			word = string(c.Status)
		}
		msg := paint(csgr, word)
		if c.Message != "" {
			msg += "  " + termsafe.String(c.Message)
		}
		indented(msg)
	}
	return b.String()
}

// writeHeaders lists headers sorted by name, one value per line, so a
// repeated header shows every value in the order received.
func writeHeaders(b *strings.Builder, h http.Header) {
	names := slices.Sorted(maps.Keys(h))
	for _, k := range names {
		for _, v := range h[k] {
			fmt.Fprintf(b, "  %s: %s\n", termsafe.String(k), termsafe.String(v))
		}
	}
}

// sizeNote says how big a body was, and when the store kept only part of it.
func sizeNote(kept int, size int64, truncated bool) string {
	switch {
	case truncated:
		return fmt.Sprintf(" (%d bytes, first %d kept)", size, kept)
	case size > 0:
		return fmt.Sprintf(" (%d bytes)", size)
	case size < 0:
		return " (streamed, size unknown)"
	case kept > 0:
		return fmt.Sprintf(" (%d bytes)", kept)
	}
	return ""
}

// safeFormTable is the parsed parameters as a table, each name and value
// sanitised on its own, as the live view shows them: a control byte in a
// value is a visible stand-in in its place, not a reason to hex-dump the
// whole form.
func safeFormTable(params []pretty.Param) string {
	safe := make([]pretty.Param, len(params))
	for i, p := range params {
		safe[i] = pretty.Param{Name: termsafe.String(p.Name), Value: termsafe.Text(p.Value)}
	}
	return pretty.FormTable(safe)
}
