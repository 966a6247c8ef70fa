// Opportunity Cockpit Connector: everything `azd up` provisions, with no secret anywhere.
//
// Modelled on the azd Functions quickstart (Azure-Samples/functions-quickstart-python-http-azd):
// subscription scope, one resource group tagged azd-env-name, a user-assigned managed identity for
// every data-plane call, Flex Consumption (FC1), storage without shared keys, Application Insights
// with local auth disabled. Unlike the quickstart it declares plain resources instead of remote
// `br/public:avm` modules, so the offline checks in tests/infra can read the real properties.
//
// Not in Bicep, on purpose (see scripts/ and docs/deploy.md):
// - the Entra app registration, its federated credential and app role (Microsoft Graph);
// - the token-cache encryption key: generated on the deployer's machine by the postprovision hook
//   and written straight into Key Vault, so it never appears in a parameter, output or log;
// - the Dataverse application user and its security role (Dataverse Web API).
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; names the resource group and seeds the resource-name token.')
param environmentName string

@minLength(1)
@description('Region for every resource; it must offer the Flex Consumption plan.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Object id of whoever runs azd (azd fills AZURE_PRINCIPAL_ID). It gets Key Vault Secrets Officer on the vault so the postprovision hook can store the token-cache key. Empty: no role.')
param principalId string = ''

@description('Kind of principal in principalId: User for a person, ServicePrincipal for a pipeline.')
@allowed([
  'User'
  'ServicePrincipal'
])
param principalType string = 'User'

// A default, so `azd up` has nothing to prompt for: azd prompts for parameters without a value or
// default *before* any hook runs (Azure/azure-dev#5806), i.e. before the preprovision hook has
// created the registration. The hook then stores COCKPIT_CLIENT_ID and azd reloads the environment
// before reading parameters (Azure/azure-dev#6064). Left empty (an azd without that reload), the
// app refuses to start with a readable settings error and postprovision reports it, naming
// `azd provision` as the finishing command (docs/deploy.md).
@description('Application (client) id of the cockpit app registration. The preprovision hook creates or updates the registration and sets COCKPIT_CLIENT_ID.')
@maxLength(36)
param cockpitClientId string = ''

@description('URL of the Dataverse environment, e.g. https://contoso.crm4.dynamics.com (COCKPIT_CRM_ORG_URL).')
@minLength(9)
param crmOrgUrl string

@description('The org unique name Dynamics passes as orgname. Empty: the first DNS label of crmOrgUrl.')
param crmOrgName string = ''

@description('Comma-separated tenant GUIDs whose users may sign in. Empty: the tenant of this subscription.')
param tenantIds string = ''

@description('Origins besides the CRM org that may frame /embed (e.g. a Teams host), separated by spaces.')
param extraFrameAncestors string = ''

@description('External https base URL when a custom domain fronts the app. Empty: https://<app>.azurewebsites.net.')
param publicBaseUrl string = ''

@description('Entra ID authority host: by default the one of the cloud this deployment runs in (public, US Government, China), which also decides the federated credential\'s audience.')
param entraAuthorityHost string = environment().authentication.loginEndpoint

@description('Resource id of an existing action group the alerts notify (COCKPIT_ALERT_ACTION_GROUP_ID). Empty: alerts fire without notifications.')
param alertActionGroupId string = ''

@description('Put storage behind private endpoints in a new virtual network. Off by default.')
param vnetEnabled bool = false

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var functionAppName = '${abbrs.webSitesFunctions}api-${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'
var tokenCacheKeySecretName = 'cockpit-token-cache-key'

// The org URL is reduced to its https origin: the app only ever talks to configured origins.
var crmOrgHost = split(replace(replace(crmOrgUrl, 'https://', ''), 'http://', ''), '/')[0]
var crmOrgOrigin = 'https://${crmOrgHost}'
var effectiveTenantIds = empty(tenantIds) ? tenant().tenantId : replace(tenantIds, ' ', '')
var crmOrgTenantId = split(effectiveTenantIds, ',')[0]
var effectiveCrmOrgName = toLower(empty(crmOrgName) ? split(crmOrgHost, '.')[0] : crmOrgName)
var crmOrgs = [
  {
    tenant_id: crmOrgTenantId
    name: effectiveCrmOrgName
    url: crmOrgOrigin
  }
]
var frameAncestors = trim('${crmOrgOrigin} ${extraFrameAncestors}')
// loginEndpoint ends with '/'; the app and the federated credential's issuer want the bare origin.
var effectiveAuthorityHost = endsWith(entraAuthorityHost, '/') ? substring(entraAuthorityHost, 0, length(entraAuthorityHost) - 1) : entraAuthorityHost

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}api-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    vnetEnabled: vnetEnabled
  }
}

module keyVault 'app/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: '${abbrs.keyVaultVaults}${resourceToken}'
    location: location
    tags: tags
    logAnalyticsName: monitoring.outputs.logAnalyticsName
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    keyVaultName: keyVault.outputs.name
    identityPrincipalId: identity.outputs.principalId
    deployerPrincipalId: principalId
    deployerPrincipalType: principalType
  }
}

module vnet 'app/vnet.bicep' = if (vnetEnabled) {
  name: 'vnet'
  scope: rg
  params: {
    name: '${abbrs.networkVirtualNetworks}${resourceToken}'
    location: location
    tags: tags
    storageAccountName: storage.outputs.name
  }
}

module api 'app/function.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: functionAppName
    planName: '${abbrs.webServerFarms}${resourceToken}'
    location: location
    tags: tags
    identityName: identity.outputs.name
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    keyVaultName: keyVault.outputs.name
    tokenCacheKeySecretName: tokenCacheKeySecretName
    cockpitClientId: cockpitClientId
    tenantIds: effectiveTenantIds
    crmOrgsJson: string(crmOrgs)
    frameAncestors: frameAncestors
    entraAuthorityHost: effectiveAuthorityHost
    publicBaseUrl: publicBaseUrl
    virtualNetworkSubnetId: vnetEnabled ? vnet.outputs.appSubnetId : ''
  }
  // The identity must hold its storage roles before the host first starts, or the first start
  // fails on the deployment container and the host's own blobs.
  dependsOn: [
    rbac
  ]
}

module alerts 'app/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    logAnalyticsName: monitoring.outputs.logAnalyticsName
    appHostName: api.outputs.defaultHostName
    actionGroupId: alertActionGroupId
    location: location
    tags: tags
  }
}

// Outputs land in .azure/<env>/.env and are read by the hooks. Names, ids and endpoints only.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = api.outputs.name
output SERVICE_API_NAME string = api.outputs.name
output SERVICE_API_URI string = api.outputs.publicBaseUrl
output COCKPIT_PUBLIC_BASE_URL string = api.outputs.publicBaseUrl
output COCKPIT_REDIRECT_URI string = '${api.outputs.publicBaseUrl}/auth/callback'
output COCKPIT_CRM_ORG_ORIGIN string = crmOrgOrigin
// postprovision: the federated credential's issuer and audience follow the cloud's authority.
output COCKPIT_ENTRA_AUTHORITY_HOST string = effectiveAuthorityHost
// postprovision compares it with COCKPIT_CLIENT_ID (empty: parameters were read before the hook).
output COCKPIT_DEPLOYED_CLIENT_ID string = cockpitClientId
output AZURE_MANAGED_IDENTITY_NAME string = identity.outputs.name
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output AZURE_MANAGED_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_KEY_VAULT_ENDPOINT string = keyVault.outputs.uri
output COCKPIT_TOKEN_CACHE_KEY_SECRET_NAME string = tokenCacheKeySecretName
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output COCKPIT_STORAGE_TABLE_ENDPOINT string = storage.outputs.tableEndpoint
