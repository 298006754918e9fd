// Package signaturetest is the one independent signer for tests, and a
// webhook handler that checks signatures the way a SignalWire developer's
// own handler does — written from the published rules, independently of
// inspect/signature, so the pipeline, replay and trigger are judged by a
// second opinion rather than by the code they use. Tests sign through it
// instead of keeping their own copies of the schemes.
package signaturetest

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"testing"
)

// Valid reports whether header carries a signature SignalWire's rules
// accept for a request to fullURL with body.
func Valid(key, method, fullURL string, header http.Header, body []byte) bool {
	sig := header.Get("X-SignalWire-Signature")
	if sig == "" {
		sig = header.Get("X-Twilio-Signature")
	}
	return sig != "" && hmac.Equal([]byte(sig), []byte(Sign(key, method, fullURL, header.Get("Content-Type"), body)))
}

// Sign computes the signature by the published rules: form posts (and
// GETs) are base64 HMAC-SHA1 over the URL followed by every parameter's name
// and value, sorted by name; JSON is hex HMAC-SHA1 over the URL followed by
// the raw body.
func Sign(key, method, fullURL, contentType string, body []byte) string {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch {
	case method == http.MethodGet:
		return SignForm(key, fullURL, nil)
	case mt == "application/x-www-form-urlencoded":
		params, err := url.ParseQuery(string(body))
		if err != nil {
			return "undecodable form"
		}
		return SignForm(key, fullURL, params)
	default:
		return SignJSON(key, fullURL, body)
	}
}

// SignForm is the form scheme over already-parsed parameters: base64
// HMAC-SHA1 over the URL followed by every name and value, sorted by name,
// repeated names in the order given. Nil form signs the URL alone (a GET).
func SignForm(key, fullURL string, form url.Values) string {
	mac := hmac.New(sha1.New, []byte(key))
	mac.Write([]byte(fullURL))
	for _, k := range slices.Sorted(maps.Keys(form)) {
		for _, v := range form[k] {
			mac.Write([]byte(k + v))
		}
	}
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// SignJSON is the JSON scheme: lowercase hex HMAC-SHA1 over URL + raw body.
func SignJSON(key, fullURL string, body []byte) string {
	mac := hmac.New(sha1.New, []byte(key))
	mac.Write([]byte(fullURL))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// Received is one request the handler saw.
type Received struct {
	Method string
	Host   string
	URI    string
	Header http.Header
	Body   []byte
	Valid  bool
}

// Handler validates every request against the URL it was reached at
// (http://Host + request URI, as a handler behind no proxy rebuilds it),
// answers 200 with an empty cXML document when the signature is valid
// and 403 otherwise, and remembers everything.
type Handler struct {
	Key string
	// Status, when set, is answered to valid requests instead of 200.
	Status int
	// TrustForwarded rebuilds the URL as a handler behind a proxy does:
	// X-Forwarded-Proto and X-Forwarded-Host win over the connection's.
	TrustForwarded bool

	mu   sync.Mutex
	reqs []Received
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	scheme, host := "http", r.Host
	if h.TrustForwarded {
		if p := r.Header.Get("X-Forwarded-Proto"); p != "" {
			scheme = p
		}
		if fh := r.Header.Get("X-Forwarded-Host"); fh != "" {
			host = fh
		}
	}
	ok := Valid(h.Key, r.Method, scheme+"://"+host+r.URL.RequestURI(), r.Header, body)
	h.reqs = append(h.reqs, Received{Method: r.Method, Host: r.Host, URI: r.URL.RequestURI(), Header: r.Header.Clone(), Body: body, Valid: ok})
	status := h.Status
	h.mu.Unlock()
	if !ok {
		http.Error(w, "invalid signature", http.StatusForbidden)
		return
	}
	if status == 0 {
		status = http.StatusOK
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	io.WriteString(w, "<Response></Response>\n")
}

// Requests returns what the handler has seen so far.
func (h *Handler) Requests() []Received {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Received(nil), h.reqs...)
}

// Start runs a Handler on a loopback server closed when the test ends.
func Start(t testing.TB, key string) (*Handler, *httptest.Server) {
	t.Helper()
	h := &Handler{Key: key}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return h, srv
}
