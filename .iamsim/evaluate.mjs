// IAM policy evaluator for the tests (never shipped): reads one JSON request
// per line on stdin, answers one JSON line on stdout, in order.
//   request: {principal, action, resource, account, context, policies: [{name, policy}], resourcePolicy?}
//   (resourcePolicy: the policy of the resource, e.g. a role's trust policy for sts:AssumeRole)
//   answer:  {result: "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied"} or {error}
// @cloud-copilot/iam-simulate (AGPL-3.0) is installed next to this file by
// `make iamsim`, pinned; ESM resolves it from this file's folder.
import { runSimulation } from '@cloud-copilot/iam-simulate'
import readline from 'node:readline'

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity })
for await (const line of lines) {
  let answer
  try {
    const q = JSON.parse(line)
    const r = await runSimulation(
      {
        request: {
          principal: q.principal,
          action: q.action,
          resource: { resource: q.resource, accountId: q.account },
          contextVariables: q.context ?? {},
        },
        identityPolicies: q.policies,
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        ...(q.resourcePolicy ? { resourcePolicy: q.resourcePolicy } : {}),
      },
      {},
    )
    const result = r.result?.analysis?.result
    answer = r.errors || !result ? { error: JSON.stringify(r.errors ?? r) } : { result }
  } catch (e) {
    answer = { error: String(e && e.stack ? e.stack : e) }
  }
  process.stdout.write(JSON.stringify(answer) + '\n')
}
