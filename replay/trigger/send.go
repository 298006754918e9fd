package trigger

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/signature"
	"github.com/swhook/swhook/replay"
)

// SignMode says how a synthetic webhook is signed.
type SignMode int

const (
	// SignValid signs exactly as SignalWire does.
	SignValid SignMode = iota
	// SignBad sends a signature that does not verify, to test a handler's
	// rejection path.
	SignBad
	// SignNone sends no signature header at all.
	SignNone
)

// UserAgent identifies synthetic webhooks honestly, so a handler's logs
// never mistake one for SignalWire's own.
const UserAgent = "swhook-trigger"

// SendOptions say where and how a webhook goes.
type SendOptions struct {
	URL string // where to send; the only place trigger ever sends
	// SignURL is the URL the signature is made for; empty means URL. A
	// handler behind a tunnel verifies against its public URL.
	SignURL string
	Key     string // required unless Mode is SignNone
	Mode    SignMode
	Now     func() time.Time
	// SentBy, when set, goes out as the X-Swhook-Sent-By header: the send
	// is aimed at a running listen on the same store, which then records
	// the webhook as swhook's own (package inspect/listeners). Signatures
	// never cover headers, so the handler's check is unchanged.
	SentBy string
}

// Validate checks the options before anything is built or sent.
func (o SendOptions) Validate() error {
	for _, u := range []string{o.URL, o.SignURL} {
		if u == "" {
			continue
		}
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return fmt.Errorf("%q is not an http(s) URL", u)
		}
	}
	if o.URL == "" {
		return errors.New("no URL to send to")
	}
	if o.Key == "" && o.Mode == SignValid {
		return errors.New("no signing key")
	}
	return nil
}

// badKey signs --bad-signature webhooks: a signature of the right shape
// that no real key produces.
const badKey = "swhook-deliberately-wrong-key"

// Headers returns the headers w is sent with, signed as opts says.
func Headers(w Webhook, opts SendOptions) (http.Header, error) {
	h := http.Header{}
	h.Set("Content-Type", w.ContentType)
	h.Set("User-Agent", UserAgent)
	if opts.SentBy != "" {
		h.Set("X-Swhook-Sent-By", opts.SentBy)
	}
	if opts.Mode == SignNone {
		return h, nil
	}
	key := opts.Key
	if opts.Mode == SignBad {
		key = badKey
		if opts.Key == badKey {
			key += "!"
		}
	}
	signURL := opts.SignURL
	if signURL == "" {
		signURL = opts.URL
	}
	sig, err := signature.Sign(key, signature.SchemeFor(w.Method, w.ContentType), signURL, w.Body)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	h.Set(signature.HeaderSignalWire, sig)
	return h, nil
}

// Send signs and sends w to opts.URL and returns the exchange (source
// trigger) for the caller to store. A target that does not answer is
// recorded in Response.Error, not returned as an error.
func Send(ctx context.Context, client *http.Client, w Webhook, opts SendOptions) (*exchange.Exchange, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	h, err := Headers(w, opts)
	if err != nil {
		return nil, err
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	signURL := opts.SignURL
	if signURL == "" {
		signURL = opts.URL
	}
	// Signed for another URL (the public one, behind a tunnel): present it
	// as a proxy would, so a handler that rebuilds its URL from Host and
	// X-Forwarded-* rebuilds the signed one.
	host := ""
	if su, err := url.Parse(signURL); err == nil && signURL != opts.URL {
		if tu, err := url.Parse(opts.URL); err == nil && tu.Host != su.Host {
			host = su.Host
		}
		h.Set("X-Forwarded-Proto", su.Scheme)
		h.Set("X-Forwarded-Host", su.Host)
	}
	x := &exchange.Exchange{
		Time:    now().UTC(),
		Source:  exchange.SourceTrigger,
		Forward: replay.Origin(opts.URL),
		Request: replay.RequestRecord(w.Method, opts.URL, signURL, h, w.Body),
	}
	if host != "" {
		x.Request.Host = host
	}
	// Named as listen names it, so a synthetic webhook looks like a real one.
	x.Event = replay.Classify(x.Request)
	x.Signature = verdict(opts, signature.Request{Method: w.Method, URL: signURL, Header: h, Body: w.Body})
	x.Response = replay.Deliver(ctx, client, replay.Outgoing{Method: w.Method, URL: opts.URL, Host: host, Header: h, Body: w.Body}, now, 0)
	x.ResponseCheck = replay.CheckResponse(x.Event, x.Response)
	return x, nil
}

func verdict(opts SendOptions, r signature.Request) exchange.Signature {
	if opts.Key == "" {
		if opts.Mode == SignNone {
			return exchange.Signature{Status: exchange.SigMissing}
		}
		return exchange.Signature{Status: exchange.SigUnchecked}
	}
	v := signature.Verify(opts.Key, r)
	s := exchange.Signature{
		Status: exchange.SignatureStatus(v.Status),
		Scheme: string(v.Scheme),
		Header: v.Header,
		Hint:   v.Note,
	}
	if opts.Mode == SignBad {
		s.Hint = "deliberately wrong (--bad-signature)"
	}
	return s
}
