// Package motoserver starts moto's server (moto_server) on a free loopback
// port, for integration tests and the local demo. Nothing here talks to AWS:
// every client it builds points at the local server.
package motoserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/qbrole/qbrole/internal/testkit/devenv"
)

// AccountID is the account moto's server uses.
const AccountID = "123456789012"

// Server is a running moto_server.
type Server struct {
	// URL is the server's base URL, http://127.0.0.1:PORT.
	URL  string
	cmd  *exec.Cmd
	done chan struct{}
	log  *os.File
}

// Start runs moto_server on 127.0.0.1 on a free port, with extra environment
// variables (NAME=value) such as INITIAL_NO_AUTH_ACTION_COUNT, and waits until
// it answers.
func Start(ctx context.Context, env ...string) (*Server, error) {
	bin, err := devenv.PythonTool("moto_server")
	if err != nil {
		return nil, err
	}
	var lastErr error
	for range 3 { // a free port can be taken between choosing and binding it
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		s, err := start(ctx, bin, port, env)
		if err == nil {
			return s, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func start(ctx context.Context, bin string, port int, env []string) (*Server, error) {
	logf, err := os.CreateTemp("", "moto-*.log")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	AsTestServer(cmd)
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("starting moto_server: %w", err)
	}
	s := &Server{URL: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, done: make(chan struct{}), log: logf}
	go func() { _ = cmd.Wait(); close(s.done) }()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			logBytes, _ := os.ReadFile(logf.Name())
			s.Close()
			return nil, fmt.Errorf("moto_server exited at start: %s", logBytes)
		case <-ctx.Done():
			s.Close()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		resp, err := http.Get(s.URL + "/moto-api/data.json")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
	}
	s.Close()
	return nil, errors.New("moto_server did not answer within 60 s")
}

// Close stops the server and everything it started.
func (s *Server) Close() {
	if s.cmd.Process != nil {
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
			<-s.done
		}
	}
	s.log.Close()
	os.Remove(s.log.Name())
}

// Reset drops every resource the server holds.
func (s *Server) Reset() error {
	resp, err := http.Post(s.URL+"/moto-api/reset", "application/json", nil)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("moto reset: HTTP %d", resp.StatusCode)
	}
	return nil
}

// Env is the environment that points the AWS SDK (and the bootstrap binary)
// at this server with dummy credentials.
func (s *Server) Env() []string { return ClientEnv(s.URL, "testing", "testing") }

// ClientEnv is the environment that points the AWS SDK at an IAM endpoint on
// this machine with the given credentials, and nowhere else.
func ClientEnv(endpoint, accessKey, secretKey string) []string {
	return []string{
		"AWS_ENDPOINT_URL=" + endpoint,
		"AWS_ENDPOINT_URL_IAM=" + endpoint,
		"AWS_ACCESS_KEY_ID=" + accessKey,
		"AWS_SECRET_ACCESS_KEY=" + secretKey,
		"AWS_SESSION_TOKEN=",
		"AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
	}
}

// IAM returns an IAM client for this server with the given access key (moto
// maps keys to IAM users once its authorizer is on; any key works before).
func (s *Server) IAM(accessKey, secretKey string, optFns ...func(*iam.Options)) *iam.Client {
	opts := iam.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s.URL),
		Credentials:  credentials.NewStaticCredentialsProvider(accessKey, secretKey, ""),
	}
	return iam.New(opts, optFns...)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// RunTests is a test package's TestMain body: it starts one moto server per
// pointer in servers, runs the tests, stops the servers and exits.
func RunTests(m interface{ Run() int }, servers ...**Server) { RunTestsAs(AccountID, m, servers...) }

// RunTestsAs is RunTests with servers whose account is account (moto reads
// MOTO_ACCOUNT_ID): the emulator tests run the function in the account the
// Lambda Runtime Interface Emulator names.
func RunTestsAs(account string, m interface{ Run() int }, servers ...**Server) {
	for _, s := range servers {
		started, err := Start(context.Background(), "MOTO_ACCOUNT_ID="+account)
		if err != nil {
			fmt.Fprintln(os.Stderr, "integration tests need moto's server:", err)
			os.Exit(1)
		}
		*s = started
	}
	code := m.Run()
	for _, s := range servers {
		(*s).Close()
	}
	os.Exit(code)
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) { return freePort() }
