package cmd

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/signature"
	"github.com/swhook/swhook/inspect/store"
	"github.com/swhook/swhook/inspect/termsafe"
)

// VerifyOptions holds what `swhook verify` was asked to do.
type VerifyOptions struct {
	IO     *cmdutil.IOStreams
	Getenv func(string) string

	// Ref is a captured exchange ("ID" or "last"); empty for the explicit
	// form (--url, --signature, --body).
	Ref string

	SigningKey  string
	URL         string
	Signature   string
	Body        BodySource
	ContentType string
	Header      string // canonical signature header name; "" = chosen from the signature
	Method      string
	LocalURL    string
	JSON        bool
	StorePath   string

	// open opens the store for Ref (the real run's, or a test's).
	open func(ctx context.Context) (*store.Store, error)
}

// NewCmdVerify builds `swhook verify`. runF replaces the run in tests of
// flag parsing; nil means the real run.
func NewCmdVerify(f *cmdutil.Factory, runF func(*VerifyOptions) error) *cobra.Command {
	opts := &VerifyOptions{IO: f.IOStreams, Getenv: f.Getenv}
	opts.open = func(ctx context.Context) (*store.Store, error) {
		return openStore(ctx, f, opts.StorePath, store.Options{})
	}
	cmd := &cobra.Command{
		Use:   "verify [ID|last] [--url URL --signature SIG (--body STRING | --body-file FILE|-)]",
		Short: "Check a webhook signature and explain why it fails",
		Long: `Check a SignalWire webhook signature. Exit status 0 when it is valid, 1 when it
is not, 2 on a usage error.

With an ID (or 'last'), re-check a captured exchange against the URL it
arrived on (--url to check against another one), with this key.

Otherwise give the request yourself: the URL SignalWire called, the
signature header's value, and the body exactly as received. Every scheme is
tried (form, JSON hex SHA-1, bodySHA256); --content-type narrows them as
SignalWire does. A 64-character hex signature is taken as the
X-SignalWire-Sha256-Signature value unless --header says otherwise.

When the signature does not verify, swhook tries what handlers get wrong —
http for https, a port added or lost, a trailing slash, the query string
dropped or re-encoded, the local URL, a re-serialised body, the wrong
scheme — and says in one sentence which would have matched. If none does,
the key is probably not the one SignalWire signed with.`,
		Example: `  # the published example: prints "valid: form signature ..."
  swhook verify --signing-key 12345 \
    --url 'https://mycompany.com/myapp.php?foo=1&bar=2' \
    --signature 'RSOYDt4T1cUTdK1PDd93/VVr8B8=' \
    --body 'CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212'

  # the body from stdin, the key from $SIGNALWIRE_SIGNING_KEY
  pbpaste | swhook verify --url https://example.ngrok.app/voice --signature "$SIG" --body-file -

  # re-check the last captured webhook
  swhook verify last`,
		Args: cmdutil.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Ref = args[0]
			}
			if err := parseVerifyFlags(cmd, opts); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return verifyRun(cmd.Context(), opts)
		},
	}
	cmdutil.AddSigningKeyFlag(cmd, &opts.SigningKey)
	cmdutil.AddStoreFlag(cmd, &opts.StorePath)
	cmd.Flags().StringVar(&opts.URL, "url", "", "the full `URL` SignalWire called (scheme, host, port, path, query)")
	cmd.Flags().StringVar(&opts.Signature, "signature", "", "the signature header's value")
	addBodyFlags(cmd, &opts.Body)
	cmd.Flags().StringVar(&opts.ContentType, "content-type", "", "the request's Content-Type (default: try every scheme)")
	cmd.Flags().StringVar(&opts.Header, "header", "", "the header the signature came in: "+signature.HeaderSignalWire+", "+signature.HeaderTwilio+" or "+signature.HeaderSignalWireSHA256)
	cmd.Flags().StringVar(&opts.Method, "method", "POST", "the request method (a GET's parameters are in --url)")
	cmd.Flags().StringVar(&opts.LocalURL, "local-url", "", "the URL your handler sees locally, e.g. http://localhost:3000/voice (widens the diagnosis)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the verdict as JSON")
	return cmd
}

func parseVerifyFlags(cmd *cobra.Command, opts *VerifyOptions) error {
	if err := parseBodyFlags(cmd, &opts.Body); err != nil {
		return err
	}
	opts.Method = strings.ToUpper(opts.Method)
	if cmd.Flags().Changed("header") {
		h, ok := canonicalSigHeader(opts.Header)
		if !ok {
			return cmdutil.UsageErrorf("--header %q is not a signature header: use %s, %s or %s", opts.Header,
				signature.HeaderSignalWire, signature.HeaderTwilio, signature.HeaderSignalWireSHA256)
		}
		opts.Header = h
	}
	for _, fl := range []struct{ name, value string }{{"--url", opts.URL}, {"--local-url", opts.LocalURL}} {
		if fl.value != "" {
			if err := checkWebhookURL(fl.name, fl.value); err != nil {
				return err
			}
		}
	}
	if opts.Ref != "" {
		for _, name := range []string{"signature", "body", "body-file", "content-type", "header", "method"} {
			if cmd.Flags().Changed(name) {
				return cmdutil.UsageErrorf("--%s is for checking a request you give; %s re-checks the captured one (only --url, --local-url and --signing-key change how)", name, cmd.CommandPath()+" "+opts.Ref)
			}
		}
		if _, _, err := parseExchangeRef(opts.Ref); err != nil {
			return err
		}
		return nil
	}
	isGET := opts.Method == "GET" || opts.Method == "HEAD"
	switch {
	case opts.URL == "":
		return cmdutil.UsageErrorf("--url is required: the full URL SignalWire called (or give a captured exchange: swhook verify ID|last)")
	case strings.TrimSpace(opts.Signature) == "":
		return cmdutil.UsageErrorf("--signature is required: the value of the request's %s header", signature.HeaderSignalWire)
	case !opts.Body.Set() && !isGET:
		return cmdutil.UsageErrorf("give the body exactly as received with --body STRING or --body-file FILE (- for stdin); a GET (--method GET) takes none")
	case isGET && opts.Body.Set():
		return cmdutil.UsageErrorf("a %s has no body: its parameters are in --url's query", opts.Method)
	}
	return nil
}

func canonicalSigHeader(name string) (string, bool) {
	for _, h := range []string{signature.HeaderSignalWire, signature.HeaderTwilio, signature.HeaderSignalWireSHA256} {
		if strings.EqualFold(strings.TrimSpace(name), h) {
			return h, true
		}
	}
	return "", false
}

// verifyResult is the verdict as --json prints it.
type verifyResult struct {
	ID     int64  `json:"id,omitempty"`
	Status string `json:"status"`
	Scheme string `json:"scheme,omitempty"`
	Header string `json:"header,omitempty"`
	// URL is the URL variant that verified, or the one that would have.
	URL  string `json:"url,omitempty"`
	Note string `json:"note,omitempty"`
	Hint string `json:"hint,omitempty"`
}

func verifyRun(ctx context.Context, opts *VerifyOptions) error {
	key, err := cmdutil.RequireSigningKey(opts.SigningKey, opts.Getenv)
	if err != nil {
		return err
	}
	if opts.Ref != "" {
		return verifyCaptured(ctx, opts, key)
	}
	body, err := opts.Body.Read(opts.IO)
	if err != nil {
		return err
	}
	sig := strings.TrimSpace(opts.Signature)
	header := opts.Header
	if header == "" {
		header = signature.HeaderSignalWire
		if b, err := hex.DecodeString(sig); err == nil && len(b) == 32 {
			header = signature.HeaderSignalWireSHA256
		}
	}
	h := make(map[string][]string)
	r := signature.Request{Method: opts.Method, URL: opts.URL, Header: h, Body: body}
	r.Header.Set(header, sig)
	if opts.ContentType != "" {
		r.Header.Set("Content-Type", opts.ContentType)
	}
	return verifyReport(opts, key, r, 0)
}

func verifyCaptured(ctx context.Context, opts *VerifyOptions, key string) error {
	st, err := opts.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	x, err := loadExchange(ctx, st, opts.Ref)
	if err != nil {
		return err
	}
	if x.Request.Truncated {
		return fmt.Errorf("exchange #%d: the signature cannot be checked on a truncated body (%d of %d bytes were kept; raise 'swhook listen --max-body')",
			x.ID, len(x.Request.Body), x.Request.BodySize)
	}
	r := capturedRequest(x)
	if opts.URL != "" {
		r.URL = opts.URL
	}
	return verifyReport(opts, key, r, x.ID)
}

func capturedRequest(x *exchange.Exchange) signature.Request {
	return signature.Request{Method: x.Request.Method, URL: x.Request.URL, Header: x.Request.Headers, Body: x.Request.Body}
}

// verifyReport prints the verdict: one line (or JSON), exit 1 unless valid.
func verifyReport(opts *VerifyOptions, key string, r signature.Request, id int64) error {
	v := signature.Verify(key, r)
	res := verifyResult{ID: id, Status: string(v.Status), Scheme: string(v.Scheme), Header: v.Header, URL: v.URL, Note: v.Note}
	var line string
	if v.Valid() {
		line = fmt.Sprintf("valid: %s signature in %s (%s)", v.Scheme, v.Header, v.Scheme.Describe())
		if v.URL != r.URL {
			line += " for " + v.URL
		}
		if v.Note != "" {
			line += "; note: " + v.Note
		}
	} else {
		d := signature.Diagnose(key, r, signature.DiagnoseOptions{LocalURL: opts.LocalURL})
		res.Hint = d.Sentence
		if d.Found {
			res.URL, res.Scheme = d.URL, string(d.Scheme)
		}
		line = fmt.Sprintf("%s: %s", v.Status, d.Sentence)
	}
	if id != 0 {
		line = fmt.Sprintf("#%d %s", id, line)
	}
	if opts.JSON {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(res); err != nil {
			return err
		}
		if _, err := opts.IO.Out.Write(exchange.EscapeControls(b.Bytes())); err != nil {
			return err
		}
	} else if _, err := fmt.Fprintln(opts.IO.Out, termsafe.String(line)); err != nil {
		return err
	}
	if !v.Valid() {
		return cmdutil.ErrSilent
	}
	return nil
}
