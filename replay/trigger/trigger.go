// Package trigger builds realistic synthetic SignalWire webhooks — the
// parameters, encodings and identifiers SignalWire really sends — and signs
// and sends them, so a developer can exercise a handler's every path
// (including its rejection of a bad signature) without a phone.
package trigger

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/replay"
)

// APIVersion is the Compatibility API version every LaML webhook names.
const APIVersion = "2010-04-01"

// Content types SignalWire posts with.
const (
	ContentTypeForm = "application/x-www-form-urlencoded"
	ContentTypeJSON = "application/json"
)

// Webhook is one synthetic request, ready to sign and send.
type Webhook struct {
	Name        string // the trigger event name, e.g. call.status
	Event       exchange.Event
	Method      string
	ContentType string
	Body        []byte
}

// Params shape the generated values. Zero values mean "random".
type Params struct {
	// From and To are the caller / sender and the called / recipient: E.164
	// numbers, or SIP addresses for events whose Event.SIP says so.
	From   string
	To     string
	Status string // for events that have one (see Event.Statuses)
	// Set overrides fields: a form parameter, or a JSON field by dotted path.
	Set []replay.Assignment
	// Rand is the source of identifiers and numbers; tests pass a seeded
	// one so payloads are reproducible. Nil means a random seed.
	Rand *rand.Rand
	// Now is the clock for timestamps; nil means time.Now.
	Now func() time.Time
}

// Event describes one event trigger can send.
type Event struct {
	Name        string
	Description string
	// Statuses are the values --status accepts; the first is the default.
	Statuses []string
	// SIP says From and To may be SIP addresses, as SignalWire sends them
	// for a call from a SIP endpoint. The JSON events name a "phone"
	// device, and messages and faxes have numbers only.
	SIP   bool
	build func(g *gen, c *call, status string) Webhook
}

// Events lists what trigger can send, in a stable order.
func Events() []Event {
	return []Event{
		{Name: "call.inbound", Description: "an inbound call asks for instructions (cXML/LaML voice webhook, form)", SIP: true, build: callInbound},
		{Name: "call.status", Description: "a call status callback (form); --status " + strings.Join(callStatuses, "|"), Statuses: callStatuses, SIP: true, build: callStatus},
		{Name: "recording.status", Description: "a recording status callback: recording completed (form)", SIP: true, build: recordingStatus},
		{Name: "message.inbound", Description: "an inbound MMS with one picture (messaging webhook, form)", build: messageInbound},
		{Name: "message.status", Description: "a message status callback (form); --status " + strings.Join(messageStatuses, "|"), Statuses: messageStatuses, build: messageStatus},
		{Name: "fax.inbound", Description: "an inbound fax asks for instructions (fax webhook, form)", build: faxInbound},
		{Name: "transcription", Description: "a transcription callback for a voicemail recording (form)", SIP: true, build: transcription},
		{Name: "swml.call", Description: "a SWML webhook asking for a call's script (JSON)", build: swmlCall},
		{Name: "swml.message", Description: "a SWML webhook for an inbound message (JSON)", build: swmlMessage},
		{Name: "relay.call.state", Description: "a RELAY calling.call.state event (JSON); --status " + strings.Join(relayStates, "|"), Statuses: relayStates, build: relayCallState},
	}
}

// Sequences name series of webhooks that belong together.
var Sequences = map[string]string{
	"call": "a whole inbound call: call.inbound, call.status ringing, in-progress, completed, recording.status",
}

var (
	callStatuses    = []string{"completed", "queued", "initiated", "ringing", "in-progress", "busy", "failed", "no-answer", "canceled"}
	messageStatuses = []string{"delivered", "queued", "sending", "sent", "undelivered", "failed"}
	relayStates     = []string{"answered", "created", "ringing", "ending", "ended"}
)

// Lookup finds an event by name.
func Lookup(name string) (Event, bool) {
	for _, e := range Events() {
		if e.Name == name {
			return e, true
		}
	}
	return Event{}, false
}

// Names lists the event names, for error messages.
func Names() []string {
	var out []string
	for _, e := range Events() {
		out = append(out, e.Name)
	}
	return out
}

// Build generates one webhook of the named event.
func Build(name string, p Params) (Webhook, error) {
	ev, ok := Lookup(name)
	if !ok {
		return Webhook{}, fmt.Errorf("unknown event %q: 'swhook trigger --list' names them (%s)", name, strings.Join(Names(), ", "))
	}
	if err := checkAddresses(p, ev.SIP, ev.Name); err != nil {
		return Webhook{}, err
	}
	status, err := pickStatus(ev, p.Status)
	if err != nil {
		return Webhook{}, err
	}
	g := newGen(p)
	w := ev.build(g, g.newCall(), status)
	w.Name = ev.Name
	return finish(w, p.Set)
}

// Sequence generates a named series of webhooks sharing one call.
func Sequence(name string, p Params) ([]Webhook, error) {
	if _, ok := Sequences[name]; !ok {
		return nil, fmt.Errorf("unknown sequence %q: the one there is is \"call\"", name)
	}
	if p.Status != "" {
		return nil, fmt.Errorf("--status does not apply to --sequence %s", name)
	}
	// Every step is a call's form webhook, which a SIP call has too.
	if err := checkAddresses(p, true, "--sequence "+name); err != nil {
		return nil, err
	}
	g := newGen(p)
	c := g.newCall()
	steps := []struct {
		ev     string
		status string
	}{
		{"call.inbound", ""}, {"call.status", "ringing"}, {"call.status", "in-progress"},
		{"call.status", "completed"}, {"recording.status", ""},
	}
	var out []Webhook
	for i, s := range steps {
		ev, _ := Lookup(s.ev)
		c.seq = i
		w := ev.build(g, c, s.status)
		w.Name = ev.Name
		w, err := finish(w, p.Set)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}

func pickStatus(ev Event, status string) (string, error) {
	if status == "" {
		if len(ev.Statuses) > 0 {
			return ev.Statuses[0], nil
		}
		return "", nil
	}
	if len(ev.Statuses) == 0 {
		return "", fmt.Errorf("--status does not apply to %s", ev.Name)
	}
	for _, s := range ev.Statuses {
		if s == status {
			return s, nil
		}
	}
	sorted := append([]string(nil), ev.Statuses...)
	sort.Strings(sorted)
	return "", fmt.Errorf("%s has no status %q: use one of %s", ev.Name, status, strings.Join(sorted, ", "))
}

// finish applies --set overrides in the payload's own encoding.
func finish(w Webhook, set []replay.Assignment) (Webhook, error) {
	for _, a := range set {
		switch w.ContentType {
		case ContentTypeForm:
			w.Body = []byte(replay.SetFormParam(string(w.Body), a.Name, a.Value))
		default:
			b, err := replay.SetJSONField(w.Body, a.Name, replay.JSONValue(a.Value))
			if err != nil {
				return Webhook{}, fmt.Errorf("--set %s: %w", a.Name, err)
			}
			w.Body = b
		}
	}
	return w, nil
}

// gen draws identifiers and numbers from one source.
type gen struct {
	r       *rand.Rand
	now     time.Time
	account string
	project string
	space   string
	from    string
	to      string
}

// call is what every webhook of one call shares.
type call struct {
	sid, node, segment string
	seq                int
}

func newGen(p Params) *gen {
	r := p.Rand
	if r == nil {
		r = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	g := &gen{r: r, now: now().UTC().Truncate(time.Second)}
	g.account = g.uuid()
	g.project = g.account // a SignalWire project ID is the LaML AccountSid
	g.space = g.uuid()
	g.from, g.to = p.From, p.To
	if g.from == "" {
		g.from = g.number()
	}
	if g.to == "" {
		g.to = g.number()
	}
	return g
}

func (g *gen) newCall() *call {
	return &call{sid: g.uuid(), node: g.uuid() + "@us-east", segment: g.uuid()}
}

// uuid is a version 4 UUID, the shape of every SignalWire identifier.
func (g *gen) uuid() string { return replay.UUID(g.r) }

// number is a North American E.164 number with a valid area code and
// exchange (neither starts with 0 or 1).
func (g *gen) number() string {
	return fmt.Sprintf("+1%d%02d%d%02d%04d", 2+g.r.IntN(8), g.r.IntN(100), 2+g.r.IntN(8), g.r.IntN(100), g.r.IntN(10000))
}

// rfc2822 is the timestamp format of LaML webhooks.
func (g *gen) rfc2822(offset time.Duration) string {
	return g.now.Add(offset).Format(time.RFC1123Z)
}

const spaceHost = "example.signalwire.com"

func (g *gen) laml(path string) string {
	return "https://" + spaceHost + "/api/laml/" + APIVersion + "/Accounts/" + g.account + path
}

// form is an ordered list of parameters, encoded as SignalWire posts them.
type form [][2]string

func (f form) encode() []byte {
	var b strings.Builder
	for i, kv := range f {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(kv[0]))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(kv[1]))
	}
	return []byte(b.String())
}

func formHook(kind exchange.Kind, detail string, f form) Webhook {
	return Webhook{
		Event:       exchange.Event{Kind: kind, Detail: detail},
		Method:      "POST",
		ContentType: ContentTypeForm,
		Body:        f.encode(),
	}
}

// obj is a JSON object that keeps its key order.
type obj [][2]any

func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, kv := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(kv[0])
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(kv[1])
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func jsonHook(kind exchange.Kind, detail string, o obj) Webhook {
	body, err := json.Marshal(o)
	if err != nil {
		panic(err) // only our own literals reach here
	}
	return Webhook{
		Event:       exchange.Event{Kind: kind, Detail: detail},
		Method:      "POST",
		ContentType: ContentTypeJSON,
		Body:        body,
	}
}

func (g *gen) callBase(c *call, status string) form {
	return form{
		{"AccountSid", g.account},
		{"ApiVersion", APIVersion},
		{"CallSid", c.sid},
		{"CallStatus", status},
		{"Direction", "inbound"},
		{"From", g.from},
		{"To", g.to},
		{"Caller", g.from},
		{"Called", g.to},
	}
}

func callInbound(g *gen, c *call, _ string) Webhook {
	f := append(g.callBase(c, "ringing"),
		[2]string{"ForwardedFrom", ""},
		[2]string{"CallerName", ""},
		[2]string{"ParentCallSid", ""},
	)
	return formHook(exchange.KindCallInbound, "", f)
}

func callStatus(g *gen, c *call, status string) Webhook {
	f := append(g.callBase(c, status),
		[2]string{"Timestamp", g.rfc2822(time.Duration(c.seq) * 2 * time.Second)},
		[2]string{"CallbackSource", "call-progress-events"},
		[2]string{"SequenceNumber", fmt.Sprint(max(c.seq-1, 0))},
	)
	if status == "completed" {
		f = append(f, [2]string{"CallDuration", fmt.Sprint(5 + g.r.IntN(300))})
	}
	return formHook(exchange.KindCallStatus, status, f)
}

func recordingStatus(g *gen, c *call, _ string) Webhook {
	rec := g.uuid()
	f := form{
		{"AccountSid", g.account},
		{"ApiVersion", APIVersion},
		{"CallSid", c.sid},
		{"RecordingSid", rec},
		{"RecordingUrl", g.laml("/Recordings/" + rec)},
		{"RecordingStatus", "completed"},
		{"RecordingDuration", fmt.Sprint(3 + g.r.IntN(120))},
		{"RecordingChannels", "1"},
		{"RecordingSource", "RecordVerb"},
		{"RecordingStartTime", g.rfc2822(0)},
	}
	return formHook(exchange.KindRecordingStatus, "completed", f)
}

var messageTexts = []string{
	"Here is the photo from today",
	"Can you call me back?",
	"Running 10 minutes late",
	"Yes, that works for me",
}

func messageInbound(g *gen, _ *call, _ string) Webhook {
	sid := g.uuid()
	media := g.laml("/Messages/" + sid + "/Media/" + g.uuid())
	f := form{
		{"MessageSid", sid},
		{"SmsSid", sid},
		{"AccountSid", g.account},
		{"From", g.from},
		{"To", g.to},
		{"Body", messageTexts[g.r.IntN(len(messageTexts))]},
		{"NumMedia", "1"},
		{"NumSegments", "1"},
		{"MessageStatus", "received"},
		{"SmsStatus", "received"},
		{"ApiVersion", APIVersion},
		{"MediaUrl0", media},
		{"MediaContentType0", "image/jpeg"},
	}
	return formHook(exchange.KindMessageInbound, "", f)
}

func messageStatus(g *gen, _ *call, status string) Webhook {
	sid := g.uuid()
	f := form{
		{"MessageSid", sid},
		{"SmsSid", sid},
		{"AccountSid", g.account},
		{"From", g.to}, // a status callback follows a message we sent
		{"To", g.from},
		{"MessageStatus", status},
		{"SmsStatus", status},
		{"ApiVersion", APIVersion},
	}
	switch status {
	case "undelivered":
		f = append(f, [2]string{"ErrorCode", "30003"})
	case "failed":
		f = append(f, [2]string{"ErrorCode", "30008"})
	}
	return formHook(exchange.KindMessageStatus, status, f)
}

func faxInbound(g *gen, _ *call, _ string) Webhook {
	f := form{
		{"FaxSid", g.uuid()},
		{"AccountSid", g.account},
		{"From", g.from},
		{"To", g.to},
		{"RemoteStationId", g.from},
		{"FaxStatus", "receiving"},
		{"ApiVersion", APIVersion},
	}
	return formHook(exchange.KindFaxInbound, "", f)
}

var transcripts = []string{
	"Hi, this is Sam calling about the appointment on Thursday. Please call me back.",
	"Hello, I'd like to check the status of my order. Thanks.",
}

func transcription(g *gen, c *call, _ string) Webhook {
	rec, tr := g.uuid(), g.uuid()
	f := form{
		{"TranscriptionSid", tr},
		{"TranscriptionText", transcripts[g.r.IntN(len(transcripts))]},
		{"TranscriptionStatus", "completed"},
		{"TranscriptionUrl", g.laml("/Transcriptions/" + tr)},
		{"RecordingSid", rec},
		{"RecordingUrl", g.laml("/Recordings/" + rec)},
		{"CallSid", c.sid},
		{"AccountSid", g.account},
		{"From", g.from},
		{"To", g.to},
		{"CallStatus", "completed"},
		{"ApiVersion", APIVersion},
	}
	return formHook(exchange.KindTranscription, "completed", f)
}

func swmlCall(g *gen, c *call, _ string) Webhook {
	o := obj{
		{"call", obj{
			{"call_id", c.sid},
			{"node_id", c.node},
			{"segment_id", c.segment},
			{"call_state", "created"},
			{"direction", "inbound"},
			{"type", "phone"},
			{"from", g.from},
			{"to", g.to},
			{"from_number", g.from},
			{"to_number", g.to},
			{"headers", []any{}},
			{"project_id", g.project},
			{"space_id", g.space},
		}},
		{"vars", obj{}},
		{"envs", obj{}},
		{"params", obj{}},
	}
	return jsonHook(exchange.KindSWMLCall, "", o)
}

func swmlMessage(g *gen, _ *call, _ string) Webhook {
	o := obj{
		{"message", obj{
			{"message_id", g.uuid()},
			{"direction", "inbound"},
			{"message_state", "received"},
			{"from_number", g.from},
			{"to_number", g.to},
			{"body", messageTexts[g.r.IntN(len(messageTexts))]},
			{"media", []any{}},
			{"segments", 1},
			{"project_id", g.project},
			{"space_id", g.space},
		}},
		{"vars", obj{}},
		{"envs", obj{}},
		{"params", obj{}},
	}
	return jsonHook(exchange.KindSWMLMessage, "", o)
}

func relayCallState(g *gen, c *call, state string) Webhook {
	params := obj{
		{"node_id", c.node},
		{"call_id", c.sid},
		{"tag", g.uuid()},
		{"device", obj{
			{"type", "phone"},
			{"params", obj{{"from_number", g.from}, {"to_number", g.to}}},
		}},
		{"call_state", state},
		{"direction", "inbound"},
		{"start_time", g.now.UnixMilli()},
	}
	if state == "ended" {
		params = append(params,
			[2]any{"end_time", g.now.Add(30 * time.Second).UnixMilli()},
			[2]any{"end_reason", "hangup"})
	}
	o := obj{
		{"event_type", "calling.call.state"},
		{"event_channel", "signalwire_" + g.uuid()},
		{"timestamp", float64(g.now.UnixMicro()) / 1e6},
		{"project_id", g.project},
		{"space_id", g.space},
		{"params", params},
	}
	return jsonHook(exchange.KindRelayCallState, state, o)
}
