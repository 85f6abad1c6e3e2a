package main

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestSchemaCommandPrintsThePlaybookSchema(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"schema"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var schema struct {
		Schema string `json:"$schema"`
		Defs   struct {
			Task struct {
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"task"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &schema); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if schema.Schema == "" || schema.Defs.Task.Properties["kurl"] == nil || schema.Defs.Task.Properties["when"] == nil {
		t.Errorf("the schema lacks $schema, the kurl module or the when keyword: %.300s", stdout.String())
	}
}
