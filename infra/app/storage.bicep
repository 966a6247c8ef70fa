// One storage account for the Functions host (AzureWebJobsStorage), the Flex deployment package
// and the cockpit's own tables. Shared-key access is off: every caller authenticates with Entra ID
// (the managed identity), so no account key or connection string exists to leak.
param name string
param location string = resourceGroup().location
param tags object = {}
param deploymentContainerName string
param vnetEnabled bool = false

// The cockpit's tables: COCKPIT_TABLE_PREFIX ('cockpit', see function.bicep) + the entity name.
// Created here so the app never needs rights to create tables at run time.
var cockpitTables = [
  'cockpitProjects'
  'cockpitEvaluations'
  'cockpitSolutions'
  'cockpitSettings'
  'cockpitSessions'
  'cockpitLoginFlows'
  'cockpitTokenCaches'
  'cockpitOutbox'
  'cockpitMyProjects'
  'cockpitWritebackLog'
  'cockpitAdminState'
  'cockpitSolutionDesigns'
]

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    supportsHttpsTrafficOnly: true
    minimumTlsVersion: 'TLS1_2'
    dnsEndpointType: 'Standard'
    publicNetworkAccess: vnetEnabled ? 'Disabled' : 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: vnetEnabled ? 'Deny' : 'Allow'
    }
  }
}

// Child resources are declared at top level with `parent:` (equivalent Bicep), which keeps them
// visible to the offline checks: pycep-parser 0.7.1 keeps only the last nested child of a resource.
resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

// Flex Consumption pulls the app package from this container with the managed identity.
resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [for tableName in cockpitTables: {
  parent: tableService
  name: tableName
}]

output name string = storage.name
output id string = storage.id
// Without the trailing slash: COCKPIT_STORAGE_TABLE_ENDPOINT is an origin.
output tableEndpoint string = 'https://${storage.name}.table.${environment().suffixes.storage}'
output tableNames array = cockpitTables
