package mototest

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/aws/smithy-go/encoding/cbor"
)

// rpcv2CBOR translates the Smithy RPCv2 CBOR protocol, which the SDK speaks
// to CloudWatch by default and moto 5 does not, into the query protocol
// moto does speak, and moto's answer back. It lets the production code use
// the SDK's defaults against moto: the emulator is adapted in the tests'
// front, not the client in keysweep. Only the operations keysweep calls are
// translated; any other answers 501 naming itself.
func rpcv2CBOR(w http.ResponseWriter, c *Call) bool {
	if c.req.Header.Get("Smithy-Protocol") != "rpc-v2-cbor" {
		return false
	}
	path := c.req.URL.Path
	op := path[strings.LastIndex(path, "/")+1:]
	if !strings.Contains(path, "/service/GraniteServiceVersion20100801/operation/") || op != "DescribeAlarms" {
		cborError(w, http.StatusNotImplemented, "NotImplemented", "mototest translates no RPCv2 CBOR call but CloudWatch DescribeAlarms, not "+path)
		return true
	}
	form := url.Values{"Action": {op}, "Version": {"2010-08-01"}}
	if len(c.body) > 0 {
		in, err := cbor.Decode(c.body)
		m, ok := in.(cbor.Map)
		if err != nil || !ok {
			cborError(w, http.StatusBadRequest, "SerializationException", fmt.Sprintf("mototest: request body is not a CBOR map: %v", err))
			return true
		}
		for k, v := range m {
			switch v := v.(type) {
			case cbor.String:
				form.Set(k, string(v))
			case cbor.Uint:
				form.Set(k, strconv.FormatUint(uint64(v), 10))
			case cbor.List:
				for i, e := range v {
					if s, ok := e.(cbor.String); ok {
						form.Set(fmt.Sprintf("%s.member.%d", k, i+1), string(s))
					}
				}
			}
		}
	}
	req, err := http.NewRequestWithContext(c.req.Context(), http.MethodPost, c.p.target+"/", strings.NewReader(form.Encode()))
	if err != nil {
		cborError(w, http.StatusInternalServerError, "InternalFailure", err.Error())
		return true
	}
	// moto routes by the service of the credential scope, which stays.
	req.Header.Set("Authorization", c.req.Header.Get("Authorization"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	for _, h := range []string{"X-Amz-Date", "X-Amz-Security-Token", "x-moto-account-id"} {
		if v := c.req.Header.Get(h); v != "" {
			req.Header.Set(h, v)
		}
	}
	resp, err := c.p.client.Do(req)
	if err != nil {
		cborError(w, http.StatusBadGateway, "InternalFailure", err.Error())
		return true
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		cborError(w, http.StatusBadGateway, "InternalFailure", err.Error())
		return true
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Code    string `xml:"Error>Code"`
			Message string `xml:"Error>Message"`
		}
		_ = xml.Unmarshal(body, &e)
		cborError(w, resp.StatusCode, e.Code, e.Message)
		return true
	}
	var out describeAlarms
	if err := xml.Unmarshal(body, &out); err != nil {
		cborError(w, http.StatusBadGateway, "InternalFailure", "mototest: moto's DescribeAlarms answer: "+err.Error())
		return true
	}
	writeCBOR(w, http.StatusOK, out.cbor())
	return true
}

// describeAlarms is the part of moto's DescribeAlarms answer keysweep reads.
type describeAlarms struct {
	Alarms []struct {
		Name           string   `xml:"AlarmName"`
		Arn            string   `xml:"AlarmArn"`
		State          string   `xml:"StateValue"`
		ActionsEnabled bool     `xml:"ActionsEnabled"`
		Actions        []string `xml:"AlarmActions>member"`
		Namespace      string   `xml:"Namespace"`
		Metric         string   `xml:"MetricName"`
		Metrics        []struct {
			Namespace string `xml:"MetricStat>Metric>Namespace"`
			Metric    string `xml:"MetricStat>Metric>MetricName"`
		} `xml:"Metrics>member"`
	} `xml:"DescribeAlarmsResult>MetricAlarms>member"`
	NextToken string `xml:"DescribeAlarmsResult>NextToken"`
}

func (d *describeAlarms) cbor() cbor.Map {
	alarms := cbor.List{}
	str := func(m cbor.Map, k, v string) {
		if v != "" {
			m[k] = cbor.String(v)
		}
	}
	for _, a := range d.Alarms {
		m := cbor.Map{"ActionsEnabled": cbor.Bool(a.ActionsEnabled)}
		str(m, "AlarmName", a.Name)
		str(m, "AlarmArn", a.Arn)
		str(m, "StateValue", a.State)
		str(m, "Namespace", a.Namespace)
		str(m, "MetricName", a.Metric)
		actions := cbor.List{}
		for _, x := range a.Actions {
			actions = append(actions, cbor.String(x))
		}
		m["AlarmActions"] = actions
		if len(a.Metrics) > 0 {
			qs := cbor.List{}
			for i, q := range a.Metrics {
				metric := cbor.Map{}
				str(metric, "Namespace", q.Namespace)
				str(metric, "MetricName", q.Metric)
				qs = append(qs, cbor.Map{"Id": cbor.String("m" + strconv.Itoa(i)), "MetricStat": cbor.Map{"Metric": metric}})
			}
			m["Metrics"] = qs
		}
		alarms = append(alarms, m)
	}
	out := cbor.Map{"MetricAlarms": alarms, "CompositeAlarms": cbor.List{}}
	if d.NextToken != "" {
		out["NextToken"] = cbor.String(d.NextToken)
	}
	return out
}

// cborError writes an RPCv2 CBOR error: the status and {__type, message}.
func cborError(w http.ResponseWriter, status int, code, message string) {
	if code == "" {
		code = "InternalFailure"
	}
	writeCBOR(w, status, cbor.Map{"__type": cbor.String(code), "message": cbor.String(message)})
}

func writeCBOR(w http.ResponseWriter, status int, v cbor.Value) {
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("Content-Type", "application/cbor")
	w.WriteHeader(status)
	_, _ = io.Copy(w, bytes.NewReader(cbor.Encode(v)))
}
