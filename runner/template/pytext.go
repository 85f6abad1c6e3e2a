package template

// PyText is the text Python's str() gives a value, as Jinja prints it:
// True/False, None, reprs for lists and dicts (ansible-core's check_type_str
// turns a str argument given a list or mapping into this text).
func PyText(v any) string { return pyStr(v) }
