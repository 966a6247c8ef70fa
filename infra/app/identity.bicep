// The one identity the Function App uses for everything: storage (host and cockpit tables), the
// deployment container, Key Vault references, Application Insights ingestion, and the federated
// client assertion for the cockpit's Entra app registration (subject = principalId below).
param name string
param location string = resourceGroup().location
param tags object = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output name string = identity.name
output id string = identity.id
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
