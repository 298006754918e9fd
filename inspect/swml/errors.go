package swml

import "fmt"

// SignalWire's own error names (fern/products/swml/pages/reference/errors.mdx),
// so a developer can search for the code the SignalWire debugger would show.
const (
	// Calling.
	ErrParse                   = "relay_script_parse_error"
	ErrVersionInvalid          = "relay_script_version_invalid"
	ErrSectionsMissing         = "relay_script_sections_missing"
	ErrMainSectionMissing      = "relay_script_main_section_missing"
	ErrSectionCodeMissing      = "relay_script_section_code_missing"
	ErrSectionUndefined        = "relay_script_section_parameter_undefined"
	ErrElementUndefined        = "relay_script_element_undefined"
	ErrElementWrongType        = "relay_script_element_wrong_type"
	ErrElementInvalidValue     = "relay_script_element_invalid_value"
	ErrMethodMissingName       = "relay_script_method_missing_name"
	ErrMethodUndefined         = "relay_script_method_undefined"
	ErrMethodParameterMissing  = "relay_script_method_parameter_missing"
	ErrMethodParameterInvalid  = "relay_script_method_parameter_invalid_value"
	ErrMethodParameterConflict = "relay_script_method_parameter_conflict"
	ErrMethodNoMatch           = "relay_script_method_no_matching_condition"
	ErrMethodExecuteFailed     = "relay_script_method_execute_failed"
	ErrJSEval                  = "relay_script_js_eval_error"
	ErrNestedTooDeep           = "relay_script_nested_too_deep"
	ErrTooManyTransfers        = "relay_script_too_many_transfers"
	ErrInternal                = "relay_script_internal_error"
	MsgHTTPRetrieval           = "http_retrieval_error"
	MsgJSONOrYAMLRequired      = "json_or_yaml_required"
	MsgInvalidDocument         = "swml_invalid_document"
	MsgMissingEntryPoint       = "swml_missing_entry_point"
	MsgInvalidSectionFormat    = "swml_invalid_section_format"
	MsgUnsupportedMethod       = "swml_unsupported_method"
	MsgReplyBodyOrMedia        = "swml_reply_body_or_media_required"
	MsgReplyMediaLimit         = "swml_reply_media_limit_exceeded"
	MsgSwitchNoMatch           = "swml_switch_no_match"
	MsgSwitchInvalidTransform  = "swml_switch_invalid_transform"
	MsgSectionNotFound         = "swml_section_not_found"
	MsgTransferFailed          = "swml_transfer_failed"
	MsgTransferFetchFailed     = "swml_transfer_fetch_failed"
	MsgTransferDocumentInvalid = "swml_transfer_document_invalid"
	MsgGotoLabelNotFound       = "swml_goto_label_not_found"
	MsgRequestURLRequired      = "swml_request_url_required"
)

// Error is a failure SignalWire would report for a document: its error
// name, where in the document, and why in one line.
type Error struct {
	Code string
	// Path locates the offending element, "sections.main[2].play"; empty
	// for the document as a whole.
	Path string
	Msg  string
}

func (e *Error) Error() string {
	if e.Path == "" {
		return e.Code + ": " + e.Msg
	}
	return e.Code + ": " + e.Path + ": " + e.Msg
}

func errf(code, path, format string, a ...any) *Error {
	return &Error{Code: code, Path: path, Msg: fmt.Sprintf(format, a...)}
}
