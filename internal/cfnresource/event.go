package cfnresource

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-lambda-go/cfn"
)

// Decode reads a CloudFormation custom resource event. An event that lacks
// what is needed to answer (ResponseURL) cannot be answered; the error says so.
func Decode(raw []byte) (cfn.Event, error) {
	var ev cfn.Event
	if err := json.Unmarshal(raw, &ev); err != nil {
		// Salvage the ResponseURL, so that even a malformed event is answered.
		var partial struct {
			ResponseURL, RequestID, StackID, LogicalResourceID, PhysicalResourceID string
		}
		var fields map[string]json.RawMessage
		if json.Unmarshal(raw, &fields) == nil {
			for k, dst := range map[string]*string{
				"ResponseURL": &partial.ResponseURL, "RequestId": &partial.RequestID, "StackId": &partial.StackID,
				"LogicalResourceId": &partial.LogicalResourceID, "PhysicalResourceId": &partial.PhysicalResourceID,
			} {
				_ = json.Unmarshal(fields[k], dst)
			}
		}
		ev = cfn.Event{ResponseURL: partial.ResponseURL, RequestID: partial.RequestID, StackID: partial.StackID,
			LogicalResourceID: partial.LogicalResourceID, PhysicalResourceID: partial.PhysicalResourceID}
		return ev, fmt.Errorf("malformed event: %w", err)
	}
	var missing []string
	for name, v := range map[string]string{"RequestType": string(ev.RequestType), "RequestId": ev.RequestID,
		"StackId": ev.StackID, "LogicalResourceId": ev.LogicalResourceID, "ResponseURL": ev.ResponseURL} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if (ev.RequestType == cfn.RequestUpdate || ev.RequestType == cfn.RequestDelete) && ev.PhysicalResourceID == "" {
		missing = append(missing, "PhysicalResourceId")
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return ev, fmt.Errorf("malformed event: missing %s", strings.Join(missing, ", "))
	}
	return ev, nil
}
