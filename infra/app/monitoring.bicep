// Log Analytics + workspace-based Application Insights, both with local (key) auth disabled:
// telemetry is accepted only with an Entra token, which the app gets through its managed identity
// (APPLICATIONINSIGHTS_AUTHENTICATION_STRING) and the Monitoring Metrics Publisher role.
// Learn: https://learn.microsoft.com/azure/azure-monitor/app/azure-ad-authentication
param logAnalyticsName string
param applicationInsightsName string
param location string = resourceGroup().location
param tags object = {}

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
    features: {
      disableLocalAuth: true
    }
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    DisableLocalAuth: true
  }
}

// Names only: the connection string is read where it is used (function.bicep), never exported.
output applicationInsightsName string = applicationInsights.name
output logAnalyticsName string = logAnalytics.name
