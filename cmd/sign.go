package cmd

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/inspect/signature"
)

// SignOptions holds what `swhook sign` was asked to do.
type SignOptions struct {
	IO     *cmdutil.IOStreams
	Getenv func(string) string

	SigningKey  string
	URL         string
	Body        BodySource
	ContentType string
	Method      string
	SHA256      bool
}

// BodySource is where a command takes a request body from: --body or
// --body-file (a path, or "-" for stdin). The bytes are used exactly as
// given — a signature covers every byte, a trailing newline included.
type BodySource struct {
	Text    string
	TextSet bool
	File    string
}

// Set says whether either flag was given.
func (b BodySource) Set() bool { return b.TextSet || b.File != "" }

// Read returns the body bytes exactly.
func (b BodySource) Read(ios *cmdutil.IOStreams) ([]byte, error) {
	switch {
	case b.TextSet:
		return []byte(b.Text), nil
	case b.File == "-":
		if ios.IsStdinTTY() {
			return nil, cmdutil.UsageErrorf("--body-file - reads the body from stdin, which is a terminal: pipe the body in, or use --body-file FILE or --body STRING")
		}
		data, err := io.ReadAll(ios.In)
		if err != nil {
			return nil, fmt.Errorf("read the body from stdin: %w", err)
		}
		return data, nil
	case b.File != "":
		data, err := os.ReadFile(b.File)
		if err != nil {
			// A usage error, not exit 1: verify's 1 means "not valid", and
			// a script must not read a mistyped file name as a bad signature.
			return nil, cmdutil.UsageErrorf("--body-file: cannot read the body: %w", err)
		}
		return data, nil
	}
	return nil, nil
}

func addBodyFlags(cmd *cobra.Command, b *BodySource) {
	cmd.Flags().StringVar(&b.Text, "body", "", "the request body, exactly (use --body '' for an empty one)")
	cmd.Flags().StringVar(&b.File, "body-file", "", "read the request body from `FILE` (- for stdin), byte for byte")
}

// parseBodyFlags records whether --body was given (an empty body is a body)
// and rejects --body with --body-file.
func parseBodyFlags(cmd *cobra.Command, b *BodySource) error {
	if err := cmdutil.MutuallyExclusive(cmd, "body", "body-file"); err != nil {
		return err
	}
	b.TextSet = cmd.Flags().Changed("body")
	if cmd.Flags().Changed("body-file") && b.File == "" {
		return cmdutil.UsageErrorf("--body-file needs a file name, or - for stdin")
	}
	return nil
}

// NewCmdSign builds `swhook sign`. runF replaces the run in tests of
// flag parsing; nil means the real run.
func NewCmdSign(f *cmdutil.Factory, runF func(*SignOptions) error) *cobra.Command {
	opts := &SignOptions{IO: f.IOStreams, Getenv: f.Getenv}
	cmd := &cobra.Command{
		Use:   "sign --url URL (--body STRING | --body-file FILE|-)",
		Short: "Print the signature SignalWire would send for a request",
		Long: `Print the signature SignalWire would put on a request, alone on one line, so
a script or a test can send a correctly signed webhook to your handler.

The scheme follows the request, as SignalWire does:
  form posts (--content-type application/x-www-form-urlencoded) and GETs:
      base64 HMAC-SHA1 of the URL + the form parameters sorted by name
      (a GET's parameters are in --url; give it no body)
  JSON and anything else: lowercase hex HMAC-SHA1 of the URL + the raw body
  --sha256: lowercase hex HMAC-SHA256 of the URL + the raw body
      (the X-SignalWire-Sha256-Signature header)
  a --url carrying ?bodySHA256=<hex sha256 of the body>: base64 HMAC-SHA1
      of the URL alone
Without --content-type, a body that is valid JSON is signed as JSON, and one
of name=value pairs as a form post.

The URL must be exactly the one SignalWire calls: scheme, host, port, path
and query. The body is used byte for byte (a trailing newline counts).`,
		Example: `  # a form webhook (Compatibility / cXML)
  swhook sign --signing-key "$KEY" --url https://example.ngrok.app/voice \
    --content-type application/x-www-form-urlencoded \
    --body 'CallSid=CA123&From=%2B15551234567&To=%2B15557654321'

  # a JSON webhook (SWML, RELAY), body from a file, and its SHA-256 twin
  swhook sign --url https://example.ngrok.app/swml --body-file call.json
  swhook sign --url https://example.ngrok.app/swml --body-file call.json --sha256

  # send it with curl
  curl -H "X-SignalWire-Signature: $(swhook sign --url "$U" --body-file call.json)" \
    -H 'Content-Type: application/json' --data-binary @call.json "$U"`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := parseBodyFlags(cmd, &opts.Body); err != nil {
				return err
			}
			if opts.URL == "" {
				return cmdutil.UsageErrorf("--url is required: the full URL SignalWire calls, e.g. https://example.ngrok.app/voice")
			}
			if err := checkWebhookURL("--url", opts.URL); err != nil {
				return err
			}
			opts.Method = strings.ToUpper(opts.Method)
			isGET := opts.Method == "GET" || opts.Method == "HEAD"
			switch {
			case !opts.Body.Set() && !isGET:
				return cmdutil.UsageErrorf("give the body with --body STRING or --body-file FILE (- for stdin); a GET (--method GET) takes none")
			case isGET && opts.Body.Set():
				return cmdutil.UsageErrorf("a %s has no body: its parameters are in --url's query", opts.Method)
			case isGET && opts.SHA256:
				return cmdutil.UsageErrorf("--sha256 signs a JSON body; a GET has none")
			}
			if runF != nil {
				return runF(opts)
			}
			return signRun(opts)
		},
	}
	cmdutil.AddSigningKeyFlag(cmd, &opts.SigningKey)
	cmd.Flags().StringVar(&opts.URL, "url", "", "the full `URL` SignalWire calls (scheme, host, port, path, query)")
	addBodyFlags(cmd, &opts.Body)
	cmd.Flags().StringVar(&opts.ContentType, "content-type", "", "the request's Content-Type; picks the scheme (default: guessed from the body)")
	cmd.Flags().StringVar(&opts.Method, "method", "POST", "the request method; GET signs the URL alone")
	cmd.Flags().BoolVar(&opts.SHA256, "sha256", false, "print the X-SignalWire-Sha256-Signature value (hex HMAC-SHA256)")
	return cmd
}

func signRun(opts *SignOptions) error {
	key, err := cmdutil.RequireSigningKey(opts.SigningKey, opts.Getenv)
	if err != nil {
		return err
	}
	body, err := opts.Body.Read(opts.IO)
	if err != nil {
		return err
	}
	scheme := signScheme(opts.Method, opts.ContentType, opts.URL, body, opts.SHA256)
	sig, err := signature.Sign(key, scheme, opts.URL, body)
	if err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	_, err = fmt.Fprintln(opts.IO.Out, sig)
	return err
}

// signScheme picks the scheme SignalWire would use; without a content type
// it reads the body's shape, which is what a person means nine times in ten.
func signScheme(method, contentType, url string, body []byte, sha256 bool) signature.Scheme {
	switch {
	case sha256:
		return signature.SchemeJSONSHA256
	case method == "GET" || method == "HEAD":
		return signature.SchemeForm
	case hasBodySHA256(url):
		return signature.SchemeFormBodySHA256
	case contentType != "":
		return signature.SchemeFor(method, contentType)
	case json.Valid(body):
		return signature.SchemeJSONSHA1
	case strings.Contains(string(body), "="):
		return signature.SchemeForm
	}
	return signature.SchemeJSONSHA1
}

// checkWebhookURL refuses a URL SignalWire could not have called: a path
// alone or a host without a scheme signs something no webhook carries, and
// verify would then blame the key.
func checkWebhookURL(flag, s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return cmdutil.UsageErrorf("%s %q is not a full URL: give scheme, host and path as SignalWire calls it, e.g. https://example.ngrok.app/voice", flag, s)
	}
	return nil
}

func hasBodySHA256(url string) bool {
	_, ok := signature.BodySHA256(url)
	return ok
}
