// Every role assignment of the deployment, each scoped to the one resource it is about (never the
// resource group or subscription). Role definition ids are Azure built-ins:
// https://learn.microsoft.com/azure/role-based-access-control/built-in-roles
param storageAccountName string
param applicationInsightsName string
param keyVaultName string
@description('Principal (object) id of the Function App\'s user-assigned identity.')
param identityPrincipalId string
@description('Object id of whoever runs azd; empty skips the deployer\'s role.')
param deployerPrincipalId string = ''
@allowed([
  'User'
  'ServicePrincipal'
])
param deployerPrincipalType string = 'User'

var roleIds = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
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

// Blob: the host's own containers (locks, timer schedule status) and the Flex deployment package.
resource apiBlobDataOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identityPrincipalId, roleIds.storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageBlobDataOwner)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
    description: 'Functions host storage and the Flex deployment container'
  }
}

// Queue: AzureWebJobsStorage__queueServiceUri (host internals).
resource apiQueueDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identityPrincipalId, roleIds.storageQueueDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageQueueDataContributor)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
    description: 'Functions host queues'
  }
}

// Table: the cockpit's tables (projects, evaluations, sessions, outbox, ...).
resource apiTableDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identityPrincipalId, roleIds.storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageTableDataContributor)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
    description: 'Cockpit tables'
  }
}

// Application Insights with local auth disabled accepts telemetry only from this role.
resource apiMetricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, identityPrincipalId, roleIds.monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.monitoringMetricsPublisher)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
    description: 'Entra-authenticated telemetry ingestion'
  }
}

// Key Vault references (COCKPIT_TOKEN_CACHE_KEY) resolve with this identity
// (keyVaultReferenceIdentity). Scoped to the vault, which holds only the cockpit's secret: a
// secret-level scope would need the secret to exist before the hook creates it.
resource apiSecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, identityPrincipalId, roleIds.keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.keyVaultSecretsUser)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
    description: 'Resolve the token-cache key reference'
  }
}

// The postprovision hook runs as the deployer and writes the generated key into the vault.
resource deployerSecretsOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  name: guid(vault.id, deployerPrincipalId, roleIds.keyVaultSecretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.keyVaultSecretsOfficer)
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
    description: 'azd postprovision hook stores the token-cache key'
  }
}
