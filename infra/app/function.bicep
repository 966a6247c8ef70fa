// The Function App on Flex Consumption (FC1), Python 3.11, running as the user-assigned identity.
// Property names: Microsoft.Web/sites functionAppConfig
// (https://learn.microsoft.com/azure/templates/microsoft.web/sites, "FunctionAppConfig") and the
// Flex IaC guide (https://learn.microsoft.com/azure/azure-functions/functions-infrastructure-as-code?pivots=flex-consumption-plan).
// Flex deprecates FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION, WEBSITE_RUN_FROM_PACKAGE
// and the content-share settings: the runtime lives in functionAppConfig.runtime instead
// (https://learn.microsoft.com/azure/azure-functions/functions-app-settings#flex-consumption-plan-deprecations).
param name string
param planName string
param location string = resourceGroup().location
param tags object = {}
@description('Must match the service name in azure.yaml: azd finds the app by this tag.')
param serviceName string = 'api'

param identityName string
param storageAccountName string
param deploymentContainerName string
param applicationInsightsName string
param keyVaultName string
param tokenCacheKeySecretName string

param cockpitClientId string
param tenantIds string
param crmOrgsJson string
param frameAncestors string
param entraAuthorityHost string
param publicBaseUrl string = ''

// 2,048 MB: CPU and network scale with memory, and one Python worker (~150 MB resident with its
// imports, plus small per-request buffers at 16 at once) needs CPU far more than memory; 4,096 MB
// doubles the price per instance-second for CPU a single worker process cannot use.
@description('Memory per instance; CPU and network scale with it.')
@allowed([
  2048
  4096
])
param instanceMemoryMB int = 2048
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

// HTTP requests one instance serves at once. Python apps default to 1 on Flex ("In Python apps,
// all instance sizes use an HTTP trigger concurrency level of one by default", Learn, "Azure
// Functions concurrency"), which would send every parallel request of a page to another, cold
// instance although this app is async and mostly waits on Dataverse, Entra ID and storage.
// 16 is measured: `make bench` (tests/bench/load.py) serves the app under uvicorn at 1..64 at
// once; at 16 a Dataverse-bound view gets ~12x the throughput of 1 at 1.5x its p95, while 64
// collapses the tail (docs/deploy.md, "Concurrency"). It is also Microsoft's default for a
// 2,048 MB instance in other languages. The app sizes its outbound pools to it
// (COCKPIT_HTTP_POOL_SIZE below).
@minValue(1)
@maxValue(1000)
param perInstanceConcurrency int = 16

// One warm instance for the HTTP group: the first click on "Open Cockpit" must not wait for a
// cold start (a Python worker plus its imports take seconds; Learn, "Flex Consumption plan",
// always ready instances). Billed as a baseline; 0 scales to zero.
@minValue(0)
@maxValue(10)
param alwaysReadyInstances int = 1
param virtualNetworkSubnetId string = ''

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: identityName
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, {
    'azd-service-name': serviceName
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    // Key Vault references resolve with the user-assigned identity, not a system-assigned one.
    // https://learn.microsoft.com/azure/app-service/app-service-key-vault-references#access-vaults-with-a-user-assigned-identity
    keyVaultReferenceIdentity: identity.id
    virtualNetworkSubnetId: empty(virtualNetworkSubnetId) ? null : virtualNetworkSubnetId
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
        alwaysReady: [
          {
            name: 'http'
            instanceCount: alwaysReadyInstances
          }
        ]
        triggers: {
          http: {
            perInstanceConcurrency: perInstanceConcurrency
          }
        }
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
  }
}

// Children at top level with `parent:` (same ARM result) so the offline checks see all of them:
// pycep-parser 0.7.1 keeps only the last child nested inside a resource body.

// Identity-based settings and one Key Vault reference: no key, password or connection string.
resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: {
    // Host storage through the managed identity
    // (https://learn.microsoft.com/azure/azure-functions/functions-reference#connecting-to-host-storage-with-an-identity).
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identity.properties.clientId
    AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
    AzureWebJobsStorage__queueServiceUri: storage.properties.primaryEndpoints.queue
    AzureWebJobsStorage__tableServiceUri: storage.properties.primaryEndpoints.table
    // Not a credential: with DisableLocalAuth the instrumentation key alone cannot ingest;
    // the authentication string makes the SDK send an Entra token of the identity.
    APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.properties.clientId};Authorization=AAD'
    // The app exports its own OpenTelemetry (shared/telemetry.py); this tells the Python worker to
    // hand it the host's trace context per invocation and to stop forwarding its logs to the host,
    // which would duplicate them (Learn, "Use OpenTelemetry with Azure Functions").
    PYTHON_ENABLE_OPENTELEMETRY: 'true'
    // The cockpit's own settings (shared/settings.py, prefix COCKPIT_).
    COCKPIT_ENV: 'azure'
    COCKPIT_PUBLIC_BASE_URL: empty(publicBaseUrl) ? 'https://${site.properties.defaultHostName}' : publicBaseUrl
    COCKPIT_STORAGE_TABLE_ENDPOINT: 'https://${storage.name}.table.${environment().suffixes.storage}'
    COCKPIT_TABLE_PREFIX: 'cockpit'
    COCKPIT_MANAGED_IDENTITY_CLIENT_ID: identity.properties.clientId
    COCKPIT_TENANT_IDS: tenantIds
    COCKPIT_CLIENT_ID: cockpitClientId
    COCKPIT_CLIENT_CREDENTIAL_MODE: 'managed_identity'
    COCKPIT_ENTRA_AUTHORITY_HOST: entraAuthorityHost
    COCKPIT_CRM_ORGS: crmOrgsJson
    COCKPIT_FRAME_ANCESTORS: frameAncestors
    // Outbound connection pools (MSAL's and httpx's) sized to the requests one instance serves.
    COCKPIT_HTTP_POOL_SIZE: string(perInstanceConcurrency)
    // Versionless reference: a rotated key is picked up on the next refresh (at most 24 h, or at
    // once after POST .../config/configreferences/appsettings/refresh, which the hook does).
    // https://learn.microsoft.com/azure/app-service/app-service-key-vault-references#rotation
    COCKPIT_TOKEN_CACHE_KEY: '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/${tokenCacheKeySecretName}/)'
  }
}

// No FTP or basic-auth publishing: azd deploys with an Entra token.
resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

output name string = site.name
output id string = site.id
output defaultHostName string = site.properties.defaultHostName
output publicBaseUrl string = empty(publicBaseUrl) ? 'https://${site.properties.defaultHostName}' : publicBaseUrl
