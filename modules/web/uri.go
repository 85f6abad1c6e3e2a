package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ferry-sh/ferry/internal/keyorder"
	"github.com/ferry-sh/ferry/internal/pyjson"
	"github.com/ferry-sh/ferry/modules"
)

func init() { modules.Register(uri{}) }

// uri makes an HTTP request from the host (Ansible's uri).
type uri struct{}

type uriOptions struct {
	connOptions
	Timeout int `opt:"timeout" default:"30" doc:"Seconds to wait for the server."`
	agentOptions
	Method        string `opt:"method" default:"GET" doc:"The HTTP method, one upper-case word (GET, POST, PUT, DELETE, PATCH...)."`
	Body          any    `opt:"body" doc:"The request body: text, or data that body_format encodes."`
	BodyFormat    string `opt:"body_format" default:"raw" choices:"raw,json,form-urlencoded" doc:"json encodes body as JSON, form-urlencoded as a form (each sets Content-Type unless headers do); raw sends it as it is."`
	StatusCode    []int  `opt:"status_code" default:"200" doc:"The statuses that count as success."`
	ReturnContent bool   `opt:"return_content" default:"false" doc:"Return the body as content (a JSON body is always returned as json)."`
	Dest          string `opt:"dest" kind:"abspath" doc:"Write the body to this file on the host (a directory receives it under the URL's file name)."`
	Creates       string `opt:"creates" kind:"abspath" doc:"A path on the host; when it exists, no request is made."`
	Removes       string `opt:"removes" kind:"abspath" doc:"A path on the host; when it does not exist, no request is made."`
	modules.FileInstallOptions
}

func (uriOptions) OptionChecks() map[string]func(any) error {
	return map[string]func(any) error{"status_code": checkStatusCodes}
}

func (o uriOptions) request() request {
	return request{o.connOptions, o.agentOptions, time.Duration(o.Timeout) * time.Second}
}

func (uri) Spec() modules.Spec {
	return modules.Spec{
		Name:    "uri",
		Returns: []string{"redirected", "url", "status", "content_type", "date", "content_length", "connection", "cookies_string", "cookies", "msg", "elapsed", "changed", "json"}, // the order of Ansible's result
		Summary: "Make an HTTP(S) request from the host and check its status (REST APIs, health checks)",
		Args:    modules.OptionsOf[uriOptions](),
		Check:   modules.CheckSkip,
	}
}

func checkStatusCodes(v any) error {
	for _, x := range v.([]any) {
		if _, err := strconv.Atoi(strings.TrimSpace(fmt.Sprint(x))); err != nil {
			return fmt.Errorf("status_code %v is not a number; give HTTP statuses such as [200, 201]", x)
		}
	}
	return nil
}

// maxContent bounds a body kept in memory (content, json); a larger one
// goes to dest.
const maxContent = 64 << 20

var upperWord = regexp.MustCompile(`^[A-Z]+$`)

// Run mirrors ansible-core 2.14's modules/uri.py: not run under --check
// (uri does not support check mode: the runner skips it, Spec.Check), creates/removes answered with
// changed=false, the response's headers as result fields, json for a JSON
// body, and a failure naming the status when it is not in status_code.
func (uri) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[uriOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	method := strings.ToUpper(o.Method)
	if !upperWord.MatchString(method) {
		return failed("Parameter 'method' needs to be a single word in uppercase, like GET or POST."), nil
	}
	body, err := requestBody(&o)
	if err != nil {
		return failed(err.Error()), nil
	}
	if skip, msg, err := createsRemoves(ctx, h, o); err != nil || skip {
		return modules.Result{Data: map[string]any{"stdout": msg, "stdout_lines": []any{msg}}}, err
	}
	client, err := newClient(ctx, h, o.request())
	if err != nil {
		return modules.Result{}, err
	}
	target := o.URL
	start := time.Now()
	var resp *http.Response
	err = h.Act(func(w modules.Writer) error {
		resp, err = send(w.Context(ctx), client, o.request(), method, target, body)
		return err
	})
	if err != nil {
		msg := "Request failed: " + err.Error()
		return modules.Result{Failed: true, Msg: fmt.Sprintf("Status code was -1 and not %s: %s", pyInts(o.StatusCode), msg),
			Data: map[string]any{"status": -1, "url": target, "elapsed": int(time.Since(start).Seconds()), "redirected": false}}, nil
	}
	defer resp.Body.Close()
	data := map[string]any{}
	responseFields(resp, data)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// urllib raises HTTPError before fetch_url reads the cookies
		delete(data, "cookies")
		delete(data, "cookies_string")
	}
	data["status"], data["url"], data["redirected"] = resp.StatusCode, resp.Request.URL.String(), resp.Request.URL.String() != target
	if loc := resp.Header.Get("Location"); loc != "" {
		if u, err := resp.Request.URL.Parse(loc); err == nil {
			data["location"] = u.String()
		}
	}
	msg := okMsg(resp)
	ok := slices.Contains(o.StatusCode, resp.StatusCode)
	res := modules.Result{Data: data}
	if dest := o.Dest; dest != "" && ok && resp.StatusCode != 304 {
		if res, err = saveBody(ctx, h, o.FileInstallOptions, resp, dest, data); err != nil {
			return modules.Result{}, err
		}
		data = res.Data
	} else if err := readContent(resp, o.ReturnContent || !ok, data); err != nil {
		return modules.Result{}, err
	}
	data["elapsed"] = int(time.Since(start).Seconds())
	data["msg"] = msg
	if !ok {
		res.Failed = true
		res.Msg = fmt.Sprintf("Status code was %d and not %s: %s", resp.StatusCode, pyInts(o.StatusCode), msg)
		data["msg"] = res.Msg
	}
	if !o.ReturnContent {
		delete(data, "content")
	}
	return res, nil
}

func failed(msg string) modules.Result {
	return modules.Result{Failed: true, Msg: msg, Data: map[string]any{"msg": msg}}
}

// requestBody encodes body as body_format says, and sets the Content-Type
// header that goes with it (in o's own copy of the headers).
func requestBody(o *uriOptions) ([]byte, error) {
	if o.Body == nil {
		return nil, nil
	}
	body := o.Body
	headers := maps.Clone(o.Headers)
	if headers == nil {
		headers = map[string]any{}
	}
	o.Headers = headers
	setType := func(t string) {
		for k := range headers {
			if strings.EqualFold(k, "content-type") {
				return
			}
		}
		headers["Content-Type"] = t
	}
	switch o.BodyFormat {
	case "json":
		setType("application/json")
		if s, ok := body.(string); ok {
			return []byte(s), nil
		}
		return []byte(pyjson.DumpsInOrder(body, true)), nil // json.dumps's bytes, as Ansible sends them
	case "form-urlencoded":
		setType("application/x-www-form-urlencoded")
		switch b := body.(type) {
		case string:
			return []byte(b), nil
		case map[string]any:
			return []byte(formEncode(b)), nil
		default:
			return nil, fmt.Errorf("failed to parse body as form_urlencoded: give a mapping or a string, not %T", body)
		}
	}
	setType("application/x-www-form-urlencoded") // urllib's default for a request with data
	if s, ok := body.(string); ok {
		return []byte(s), nil
	}
	return []byte(pyjson.DumpsInOrder(body, true)), nil
}

// formEncode is urllib's urlencode of a dict: its items in order.
func formEncode(form map[string]any) string {
	pairs := make([]string, 0, len(form))
	for _, k := range keyorder.Keys(form) {
		pairs = append(pairs, url.QueryEscape(k)+"="+url.QueryEscape(fmt.Sprint(form[k])))
	}
	return strings.Join(pairs, "&")
}

// createsRemoves answers creates and removes as uri does: no request, no
// change, a stdout saying why.
func createsRemoves(ctx context.Context, h *modules.Host, o uriOptions) (bool, string, error) {
	exists := func(p string) (bool, error) {
		out, err := h.Query(ctx, modules.Command{Argv: []string{"test", "-e", p}, Become: h.Become})
		return err == nil && out.RC == 0, err
	}
	if p := o.Creates; p != "" {
		found, err := exists(p)
		if err != nil || found {
			return found, fmt.Sprintf("skipped, since '%s' exists", p), err
		}
	}
	if p := o.Removes; p != "" {
		found, err := exists(p)
		if err != nil || !found {
			return !found && err == nil, fmt.Sprintf("skipped, since '%s' does not exist", p), err
		}
	}
	return false, "", nil
}

// pyInts prints a list of status codes as Python prints a list of ints.
func pyInts(codes []int) string {
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = strconv.Itoa(c)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// readContent reads the body into content, and into json when the
// response says it is JSON, as uri does whatever return_content says.
func readContent(resp *http.Response, keep bool, data map[string]any) error {
	isJSON := jsonType(resp.Header.Get("Content-Type"))
	if !keep && !isJSON {
		return nil
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxContent+1))
	if err != nil {
		return fmt.Errorf("reading the response: %w", err)
	}
	if len(b) > maxContent {
		return fmt.Errorf("the response is larger than %d bytes; write it to a file with dest", maxContent)
	}
	data["content"] = string(b)
	if isJSON {
		var js any
		if json.Unmarshal(b, &js) == nil {
			data["json"] = js
		}
	}
	return nil
}

// jsonType tells whether a Content-Type is JSON, as uri's JSON_CANDIDATES
// (json, javascript, and +json suffixes).
func jsonType(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	_, sub, _ := strings.Cut(mt, "/")
	if _, suffix, ok := strings.Cut(sub, "+"); ok {
		sub = suffix
	}
	return sub == "json" || sub == "javascript" || sub == "x-javascript"
}

// saveBody writes the body to dest on the host through the framework's safe
// write: it is streamed to a private controller file first.
func saveBody(ctx context.Context, h *modules.Host, install modules.FileInstallOptions, resp *http.Response, dest string, data map[string]any) (modules.Result, error) {
	tmp, err := os.CreateTemp("", "ferry-uri-*")
	if err != nil {
		return modules.Result{}, err
	}
	defer os.Remove(tmp.Name())
	_, err = io.Copy(tmp, resp.Body)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return modules.Result{}, fmt.Errorf("reading the response: %w", err)
	}
	if isDir(ctx, h, dest) {
		dest = path.Join(dest, urlFileName(resp, "index.html"))
	}
	res, err := modules.InstallFile(ctx, h, tmp.Name(), dest, true, install)
	if err != nil {
		return res, err
	}
	// uri.py reports the response and the file's attributes, not the copy
	for _, k := range []string{"src", "dest", "checksum", "bytes_transferred"} {
		delete(res.Data, k)
	}
	for k, v := range data {
		res.Data[k] = v
	}
	res.Data["path"] = dest
	return res, nil
}
