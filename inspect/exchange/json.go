package exchange

import (
	"encoding/json"
	"fmt"
)

// The JSON shape is a contract (docs/exchange.md): bodies are strings with a
// "body_encoding" beside them. These methods keep the Go types byte-oriented
// while the wire form stays readable.

type requestJSON struct {
	requestAlias
	Body         string `json:"body"`
	BodyEncoding string `json:"body_encoding"`
}

type requestAlias Request

// MarshalJSON writes the body as text or base64 with its encoding.
func (r Request) MarshalJSON() ([]byte, error) {
	return json.Marshal(requestJSON{
		requestAlias: requestAlias(r),
		Body:         r.Body.String(),
		BodyEncoding: r.Body.Encoding(),
	})
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (r *Request) UnmarshalJSON(data []byte) error {
	var v requestJSON
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	body, err := DecodeBody(v.Body, v.BodyEncoding)
	if err != nil {
		return fmt.Errorf("request body: %w", err)
	}
	*r = Request(v.requestAlias)
	r.Body = body
	return nil
}

type responseJSON struct {
	responseAlias
	Body         string `json:"body"`
	BodyEncoding string `json:"body_encoding"`
}

type responseAlias Response

// MarshalJSON writes the body as text or base64 with its encoding.
func (r Response) MarshalJSON() ([]byte, error) {
	return json.Marshal(responseJSON{
		responseAlias: responseAlias(r),
		Body:          r.Body.String(),
		BodyEncoding:  r.Body.Encoding(),
	})
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (r *Response) UnmarshalJSON(data []byte) error {
	var v responseJSON
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	body, err := DecodeBody(v.Body, v.BodyEncoding)
	if err != nil {
		return fmt.Errorf("response body: %w", err)
	}
	*r = Response(v.responseAlias)
	r.Body = body
	return nil
}
