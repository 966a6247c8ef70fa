// What an operator is told about (docs/operations.md, "Alerts"): an availability test of /healthz
// and log-search alerts on the telemetry the app exports (shared/telemetry.py names every metric
// and dimension used below). All alerts notify the action group given by parameter; without one
// they still fire and show in the portal (Monitor > Alerts).
//
// Log-search alerts query the Log Analytics workspace behind Application Insights, where requests
// land in AppRequests, custom metrics in AppMetrics (Name, Sum, Properties; a gauge's value is Sum) and Key Vault's
// audit log in AzureDiagnostics (Learn, "Application Insights telemetry data model" and
// "Key Vault logging"). Rule API: https://learn.microsoft.com/azure/templates/microsoft.insights/scheduledqueryrules
param applicationInsightsName string
param logAnalyticsName string
@description('Host name of the Function App; the availability test calls https://<host>/healthz.')
param appHostName string
@description('Resource id of an existing action group; empty: alerts without notifications.')
param actionGroupId string = ''
param location string = resourceGroup().location
param tags object = {}

@description('Share of failed (5xx) requests over 15 minutes that raises the alert.')
param serverErrorRatePercent int = 5
@description('Minutes a background write-back may wait in the outbox before it is "aged".')
param writebackAgeMinutes int = 30
@description('Failed token requests (Entra) in 15 minutes that raise the alert.')
param tokenFailureThreshold int = 5

var actions = {
  actionGroups: empty(actionGroupId) ? [] : [
    actionGroupId
  ]
}
// Availability test locations (Learn, "Application Insights availability tests", locations).
var testLocations = [
  'emea-nl-ams-azr'
  'emea-gb-db3-azr'
  'us-va-ash-azr'
  'us-ca-sjc-azr'
  'apac-sg-sin-azr'
]

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: logAnalyticsName
}

// A standard test: GET /healthz every 5 minutes from five regions, TLS checked.
resource availability 'Microsoft.Insights/webtests@2022-06-15' = {
  name: 'healthz-${applicationInsightsName}'
  location: location
  tags: union(tags, {
    'hidden-link:${applicationInsights.id}': 'Resource'
  })
  kind: 'standard'
  properties: {
    SyntheticMonitorId: 'healthz-${applicationInsightsName}'
    Name: 'Cockpit /healthz'
    Kind: 'standard'
    Enabled: true
    Frequency: 300
    Timeout: 30
    RetryEnabled: true
    Locations: [for id in testLocations: {
      Id: id
    }]
    Request: {
      RequestUrl: 'https://${appHostName}/healthz'
      HttpVerb: 'GET'
      ParseDependentRequests: false
    }
    ValidationRules: {
      ExpectedHttpStatusCode: 200
      SSLCheck: true
      SSLCertRemainingLifetimeCheck: 7
    }
  }
}

// Fires when two or more of the five locations fail at once (one location alone is network noise).
resource availabilityAlert 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: 'cockpit-availability-${applicationInsightsName}'
  location: 'global'
  tags: tags
  properties: {
    description: 'The cockpit does not answer /healthz from two or more regions (docs/operations.md).'
    severity: 1
    enabled: true
    scopes: [
      availability.id
      applicationInsights.id
    ]
    evaluationFrequency: 'PT1M'
    windowSize: 'PT5M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria'
      webTestId: availability.id
      componentId: applicationInsights.id
      failedLocationCount: 2
    }
    actions: [for id in actions.actionGroups: {
      actionGroupId: id
    }]
  }
}

// Server errors: share of the app's own requests (the ones carrying cockpit.correlation_id; the
// host's invocation records are left out) that answered 5xx.
resource serverErrors 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'cockpit-5xx-rate-${applicationInsightsName}'
  location: location
  tags: tags
  properties: {
    displayName: 'Cockpit: 5xx rate'
    description: 'More than ${serverErrorRatePercent}% of requests failed with a server error in 15 minutes (docs/operations.md).'
    severity: 1
    enabled: true
    scopes: [
      workspace.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: 'AppRequests | where isnotempty(tostring(Properties["cockpit.correlation_id"])) | summarize total = count(), failed = countif(toint(ResultCode) >= 500) | where total >= 20 and failed * 100.0 / total > ${serverErrorRatePercent}'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: actions
  }
}

// Background write-backs that ended failed (not retried any more): a CRM value is now stale.
resource writebackFailures 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'cockpit-writeback-failed-${applicationInsightsName}'
  location: location
  tags: tags
  properties: {
    displayName: 'Cockpit: failed background write-backs'
    description: 'A write-back ended failed (metric cockpit.writeback.outcomes, outcome failed; docs/operations.md).'
    severity: 2
    enabled: true
    scopes: [
      workspace.id
    ]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: 'AppMetrics | where Name == "cockpit.writeback.outcomes" and tostring(Properties["cockpit.outcome"]) == "failed" | summarize failures = sum(Sum) | where failures > 0'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: actions
  }
}

// Queued write-backs waiting too long: the outbox timer is not draining (Dataverse down, timer
// stopped, a poison item).
resource writebackAge 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'cockpit-writeback-aged-${applicationInsightsName}'
  location: location
  tags: tags
  properties: {
    displayName: 'Cockpit: aged background write-backs'
    description: 'The oldest queued write-back is older than ${writebackAgeMinutes} minutes (metric cockpit.outbox.oldest_age; docs/operations.md).'
    severity: 2
    enabled: true
    scopes: [
      workspace.id
    ]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT30M'
    criteria: {
      allOf: [
        {
          query: 'AppMetrics | where Name == "cockpit.outbox.oldest_age" | summarize oldest = max(Sum) | where oldest > ${writebackAgeMinutes * 60}'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: actions
  }
}

// Token requests Entra refused outright (not a user's "sign in again"): a broken federated
// credential, missing consent, a deleted registration, Entra itself failing.
resource tokenFailures 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'cockpit-token-failures-${applicationInsightsName}'
  location: location
  tags: tags
  properties: {
    displayName: 'Cockpit: token exchange failures'
    description: 'Entra refused ${tokenFailureThreshold} or more token requests in 15 minutes (metric cockpit.token.requests, outcome failed; docs/operations.md).'
    severity: 1
    enabled: true
    scopes: [
      workspace.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: 'AppMetrics | where Name == "cockpit.token.requests" and tostring(Properties["cockpit.outcome"]) == "failed" | summarize failures = sum(Sum) | where failures >= ${tokenFailureThreshold}'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: actions
  }
}

// The token-cache key could not be read through its Key Vault reference: Key Vault refused or did
// not find the secret (its audit log), or the app saw the reference unresolved and stopped.
resource keyVaultReferenceFailures 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'cockpit-keyvault-reference-${applicationInsightsName}'
  location: location
  tags: tags
  properties: {
    displayName: 'Cockpit: Key Vault reference failures'
    description: 'The token-cache key reference failed to resolve (docs/operations.md).'
    severity: 1
    enabled: true
    scopes: [
      workspace.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: 'union isfuzzy=true (AzureDiagnostics | where ResourceProvider == "MICROSOFT.KEYVAULT" and OperationName == "SecretGet" and toint(httpStatusCode_d) >= 400), (AppTraces | where Message has "unresolved Key Vault reference"), (AppExceptions | where OuterMessage has "unresolved Key Vault reference") | summarize failures = count() | where failures > 0'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: actions
  }
}

output availabilityTestName string = availability.name
