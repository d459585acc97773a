import type { Step } from './contract-plan.js';

/**
 * The contract walk's steps for the keyed families and the layers beside them (engine/keyed/):
 * each resource's whole lifecycle, in the order AWS allows (apps before their user profile, the
 * profile before its domain). An identifier the service assigns reaches later steps as
 * `$ref:<Operation>.<Member>`, which the walkers fill from that operation's answer.
 */
export function keyedContractSteps(prefix: string, input: (op: string) => Record<string, unknown>): Step[] {
  const domainId = '$ref:CreateDomain.DomainId';
  const user = { DomainId: domainId, UserProfileName: `${prefix}user` };
  const space = { DomainId: domainId, SpaceName: `${prefix}space` };
  const app = { ...user, AppType: 'JupyterServer', AppName: 'default' };
  const cluster = 'arn:aws:sagemaker:us-east-1:000000000000:cluster/abcdef123456';
  const image = `${prefix}iv-image`;
  const hub = `${prefix}keyed-hub`;
  const content = { HubName: hub, HubContentType: 'Model', HubContentName: `${prefix}model` };
  const reference = { HubName: hub, HubContentType: 'ModelReference', HubContentName: 'public-model' };
  const steps: [string, string, Record<string, unknown>, Step['waitFor']?][] = [
    ['Domain', 'CreateDomain', { ...input('CreateDomain'), DomainName: `${prefix}domain` }],
    ['Domain', 'DescribeDomain', { DomainId: domainId }],
    ['Domain', 'ListDomains', {}],
    ['Domain', 'UpdateDomain', { DomainId: domainId }],
    ['UserProfile', 'CreateUserProfile', user],
    ['UserProfile', 'DescribeUserProfile', user],
    ['UserProfile', 'ListUserProfiles', { DomainIdEquals: domainId }],
    ['UserProfile', 'UpdateUserProfile', user],
    ['Space', 'CreateSpace', space],
    ['Space', 'DescribeSpace', space],
    ['Space', 'ListSpaces', { DomainIdEquals: domainId }],
    ['Space', 'UpdateSpace', space],
    ['App', 'CreateApp', app],
    ['App', 'DescribeApp', app],
    ['App', 'ListApps', { DomainIdEquals: domainId }],
    ['App', 'DeleteApp', app],
    ['Space', 'DeleteSpace', space],
    ['UserProfile', 'DeleteUserProfile', user, { describe: 'DescribeApp', key: '', name: '', input: app, member: 'Status', values: ['Deleted'] }],
    // Until the profile is gone (the wait ends on its not-found error).
    ['Domain', 'DeleteDomain', { DomainId: domainId }, { describe: 'DescribeUserProfile', key: '', name: '', input: user, member: 'Status', values: [] }],
    ['MlflowApp', 'CreateMlflowApp', input('CreateMlflowApp')],
    ['MlflowApp', 'DescribeMlflowApp', { Arn: '$ref:CreateMlflowApp.Arn' }],
    ['MlflowApp', 'ListMlflowApps', {}],
    ['MlflowApp', 'UpdateMlflowApp', { Arn: '$ref:CreateMlflowApp.Arn' }],
    ['MlflowApp', 'DeleteMlflowApp', { Arn: '$ref:CreateMlflowApp.Arn' }],
    ['PartnerApp', 'CreatePartnerApp', input('CreatePartnerApp')],
    ['PartnerApp', 'DescribePartnerApp', { Arn: '$ref:CreatePartnerApp.Arn' }],
    ['PartnerApp', 'ListPartnerApps', {}],
    ['PartnerApp', 'UpdatePartnerApp', { Arn: '$ref:CreatePartnerApp.Arn' }],
    ['PartnerApp', 'DeletePartnerApp', { Arn: '$ref:CreatePartnerApp.Arn' }],
    ['ComputeQuota', 'CreateComputeQuota', { ...input('CreateComputeQuota'), ClusterArn: cluster }],
    ['ComputeQuota', 'DescribeComputeQuota', { ComputeQuotaId: '$ref:CreateComputeQuota.ComputeQuotaId' }],
    ['ComputeQuota', 'ListComputeQuotas', {}],
    ['ComputeQuota', 'UpdateComputeQuota', { ComputeQuotaId: '$ref:CreateComputeQuota.ComputeQuotaId', TargetVersion: 1 }],
    ['ComputeQuota', 'DeleteComputeQuota', { ComputeQuotaId: '$ref:CreateComputeQuota.ComputeQuotaId' }],
    ['ClusterSchedulerConfig', 'CreateClusterSchedulerConfig', { ...input('CreateClusterSchedulerConfig'), ClusterArn: cluster }],
    ['ClusterSchedulerConfig', 'DescribeClusterSchedulerConfig', { ClusterSchedulerConfigId: '$ref:CreateClusterSchedulerConfig.ClusterSchedulerConfigId' }],
    ['ClusterSchedulerConfig', 'ListClusterSchedulerConfigs', {}],
    ['ClusterSchedulerConfig', 'UpdateClusterSchedulerConfig', { ClusterSchedulerConfigId: '$ref:CreateClusterSchedulerConfig.ClusterSchedulerConfigId', TargetVersion: 1 }],
    ['ClusterSchedulerConfig', 'DeleteClusterSchedulerConfig', { ClusterSchedulerConfigId: '$ref:CreateClusterSchedulerConfig.ClusterSchedulerConfigId' }],
    ['ImageVersion', 'CreateImage', { ...input('CreateImage'), ImageName: image }],
    ['ImageVersion', 'CreateImageVersion', { ...input('CreateImageVersion'), ImageName: image, Aliases: ['first'] }],
    ['ImageVersion', 'DescribeImageVersion', { ImageName: image }],
    ['ImageVersion', 'ListImageVersions', { ImageName: image }],
    ['ImageVersion', 'UpdateImageVersion', { ImageName: image, Version: 1, AliasesToAdd: ['second'] }],
    ['ImageVersion', 'ListAliases', { ImageName: image }],
    ['ImageVersion', 'DeleteImageVersion', { ImageName: image, Version: 1 }],
    ['HubContent', 'CreateHub', { ...input('CreateHub'), HubName: hub }],
    ['HubContent', 'ImportHubContent', { ...input('ImportHubContent'), ...content, DocumentSchemaVersion: '2.0.0' }],
    ['HubContent', 'DescribeHubContent', content],
    ['HubContent', 'ListHubContents', { HubName: hub, HubContentType: 'Model' }],
    ['HubContent', 'ListHubContentVersions', content],
    ['HubContent', 'UpdateHubContent', { ...content, HubContentVersion: '1.0.0', SupportStatus: 'Supported' }],
    ['HubContent', 'DeleteHubContent', { ...content, HubContentVersion: '1.0.0' }],
    [
      'HubContent',
      'CreateHubContentReference',
      { HubName: hub, SageMakerPublicHubContentArn: 'arn:aws:sagemaker:us-east-1:aws:hub-content/SageMakerPublicHub/Model/public-model' },
    ],
    ['HubContent', 'UpdateHubContentReference', { ...reference, MinVersion: '1.0.0' }],
    ['HubContent', 'DeleteHubContentReference', reference],
    ['ResourceCatalog', 'ListResourceCatalogs', {}],
    ['SearchSuggestions', 'GetSearchSuggestions', { Resource: 'TrainingJob', SuggestionQuery: { PropertyNameQuery: { PropertyNameHint: 'Training' } } }],
  ];
  return steps.map(([family, op, stepInput, waitFor]) => ({ op, family, input: stepInput, ...(waitFor ? { waitFor } : {}) }));
}
