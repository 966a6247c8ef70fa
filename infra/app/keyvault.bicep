// Key Vault for the one secret the app has: the AES key that encrypts per-user MSAL token caches
// at rest. The vault is created empty; the postprovision hook generates the key on the deployer's
// machine and stores it (`az keyvault secret set --file ... --output none`), so its value never
// passes through a template parameter, a deployment output or a log.
// Access is Azure RBAC only (no access policies): the app's identity gets Key Vault Secrets User
// and the deployer Key Vault Secrets Officer, both scoped to this vault (rbac.bicep).
param name string
param location string = resourceGroup().location
param tags object = {}
@description('Log Analytics workspace that receives the vault\'s audit log (the Key Vault reference alert reads it).')
param logAnalyticsName string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    // The minimum, so `azd down --purge` and a re-provision with the same name are not blocked
    // for long; raise it (and add purge protection) for production vaults.
    softDeleteRetentionInDays: 7
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: logAnalyticsName
}

// Audit log into the workspace: a failed SecretGet by the app's identity is how a broken Key Vault
// reference shows (alerts.bicep). https://learn.microsoft.com/azure/key-vault/general/logging
resource auditLog 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'audit-to-workspace'
  scope: vault
  properties: {
    workspaceId: workspace.id
    logs: [
      {
        categoryGroup: 'audit'
        enabled: true
      }
    ]
  }
}

output name string = vault.name
output id string = vault.id
output uri string = vault.properties.vaultUri
