// AWS Load Balancer Controller: manage only the load balancers, target groups and security groups that
// carry this cluster's `elbv2.k8s.aws/cluster` tag, in the role's own account and region.
// Upstream: https://github.com/kubernetes-sigs/aws-load-balancer-controller/blob/main/docs/install/iam_policy.json
// Upstream checks that the tag exists (`Null ... false`); here its value must be the cluster name, which is
// what the controller writes, so one cluster's controller cannot touch another cluster's load balancers.
import { z } from "zod";
import type { PolicyDocumentJson } from "../json";
import { type AddonContext, allow, allowWithoutResourceLevel, clusterNameSchema, document, regionalArn } from "./common";

export const awsLoadBalancerControllerSchema = z
  .strictObject({
    name: z.literal("aws-load-balancer-controller"),
    clusterName: clusterNameSchema.describe("The EKS cluster the controller runs in: the value of the elbv2.k8s.aws/cluster tag it puts on what it creates"),
  })
  .describe("AWS Load Balancer Controller");

export type AwsLoadBalancerControllerAddon = z.infer<typeof awsLoadBalancerControllerSchema>;

const TAG = "elbv2.k8s.aws/cluster";

export function awsLoadBalancerControllerPolicy(addon: AwsLoadBalancerControllerAddon, ctx: AddonContext): PolicyDocumentJson {
  const elb = (resource: string) => regionalArn(ctx, "elasticloadbalancing", resource);
  const securityGroups = regionalArn(ctx, "ec2", "security-group/*");
  const vpcs = regionalArn(ctx, "ec2", "vpc/*");
  const balancersAndGroups = [elb("loadbalancer/app/*/*"), elb("loadbalancer/net/*/*"), elb("targetgroup/*/*")];
  const listenersAndRules = [elb("listener/app/*/*/*"), elb("listener/net/*/*/*"), elb("listener-rule/app/*/*/*"), elb("listener-rule/net/*/*/*")];
  const ownTag = { [`aws:ResourceTag/${TAG}`]: addon.clusterName };
  const requestTag = { [`aws:RequestTag/${TAG}`]: addon.clusterName };
  return document([
    allow(
      "CreateElbServiceLinkedRole",
      ["iam:CreateServiceLinkedRole"],
      `arn:${ctx.partition}:iam::${ctx.accountId}:role/aws-service-role/elasticloadbalancing.amazonaws.com/*`,
      {
        StringEquals: { "iam:AWSServiceName": "elasticloadbalancing.amazonaws.com" },
      },
    ),
    // These actions support no resource-level permission (Describe*/List*, and the few writes that
    // IAM only accepts with Resource "*": shield:CreateProtection, elasticloadbalancing:SetWebAcl).
    allowWithoutResourceLevel("DescribeNoResourceLevel", [
      "acm:ListCertificates",
      "ec2:DescribeAccountAttributes",
      "ec2:DescribeAddresses",
      "ec2:DescribeAvailabilityZones",
      "ec2:DescribeCoipPools",
      "ec2:DescribeInstances",
      "ec2:DescribeInternetGateways",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeSecurityGroups",
      "ec2:DescribeSubnets",
      "ec2:DescribeTags",
      "ec2:DescribeVpcPeeringConnections",
      "ec2:DescribeVpcs",
      "elasticloadbalancing:DescribeListenerAttributes",
      "elasticloadbalancing:DescribeListenerCertificates",
      "elasticloadbalancing:DescribeListeners",
      "elasticloadbalancing:DescribeLoadBalancerAttributes",
      "elasticloadbalancing:DescribeLoadBalancers",
      "elasticloadbalancing:DescribeRules",
      "elasticloadbalancing:DescribeSSLPolicies",
      "elasticloadbalancing:DescribeTags",
      "elasticloadbalancing:DescribeTargetGroupAttributes",
      "elasticloadbalancing:DescribeTargetGroups",
      "elasticloadbalancing:DescribeTargetHealth",
      "elasticloadbalancing:DescribeTrustStores",
      "iam:ListServerCertificates",
      "elasticloadbalancing:SetWebAcl",
      "shield:CreateProtection",
      "shield:GetSubscriptionState",
    ]),
    // Certificates, Cognito user pools and customer-owned IP pools named in Ingress annotations.
    allow("ReadReferencedResources", ["acm:DescribeCertificate"], regionalArn(ctx, "acm", "certificate/*")),
    allow("ReadUserPoolClients", ["cognito-idp:DescribeUserPoolClient"], regionalArn(ctx, "cognito-idp", "userpool/*")),
    allow("ReadCoipPools", ["ec2:GetCoipPoolUsage"], regionalArn(ctx, "ec2", "coip-pool/*")),
    allow("ReadServerCertificates", ["iam:GetServerCertificate"], `arn:${ctx.partition}:iam::${ctx.accountId}:server-certificate/*`),
    // WAF and Shield act on the controller's Application Load Balancers and on web ACLs / protections in
    // this account and region (the web ACL is the user's choice, named in an Ingress annotation).
    allow(
      "WebAcls",
      [
        "waf-regional:AssociateWebACL",
        "waf-regional:DisassociateWebACL",
        "waf-regional:GetWebACL",
        "waf-regional:GetWebACLForResource",
        "wafv2:AssociateWebACL",
        "wafv2:DisassociateWebACL",
        "wafv2:GetWebACL",
        "wafv2:GetWebACLForResource",
      ],
      [elb("loadbalancer/app/*/*"), regionalArn(ctx, "waf-regional", "webacl/*"), regionalArn(ctx, "wafv2", "regional/webacl/*/*")],
    ),
    allow("ShieldProtections", ["shield:DeleteProtection", "shield:DescribeProtection"], `arn:${ctx.partition}:shield::${ctx.accountId}:protection/*`),
    allow("CreateSecurityGroups", ["ec2:CreateSecurityGroup"], [securityGroups, vpcs]),
    allow("TagNewSecurityGroups", ["ec2:CreateTags"], securityGroups, {
      StringEquals: { "ec2:CreateAction": "CreateSecurityGroup", ...requestTag },
    }),
    allow("RetagOwnSecurityGroups", ["ec2:CreateTags", "ec2:DeleteTags"], securityGroups, {
      StringEquals: ownTag,
      Null: { [`aws:RequestTag/${TAG}`]: "true" },
    }),
    // Ingress rules may reference any security group (e.g. the node group's), as upstream allows.
    allow("ManageIngressRules", ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"], securityGroups),
    allow("DeleteOwnSecurityGroups", ["ec2:DeleteSecurityGroup"], securityGroups, { StringEquals: ownTag }),
    allow("CreateTaggedBalancers", ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"], balancersAndGroups, {
      StringEquals: requestTag,
    }),
    allow("TagOnCreate", ["elasticloadbalancing:AddTags"], balancersAndGroups, {
      StringEquals: { "elasticloadbalancing:CreateAction": ["CreateLoadBalancer", "CreateTargetGroup"], ...requestTag },
    }),
    allow("RetagOwnBalancers", ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"], balancersAndGroups, {
      StringEquals: ownTag,
      Null: { [`aws:RequestTag/${TAG}`]: "true" },
    }),
    allow(
      "ManageOwnBalancers",
      [
        "elasticloadbalancing:DeleteLoadBalancer",
        "elasticloadbalancing:DeleteTargetGroup",
        "elasticloadbalancing:ModifyListenerAttributes",
        "elasticloadbalancing:ModifyLoadBalancerAttributes",
        "elasticloadbalancing:ModifyTargetGroup",
        "elasticloadbalancing:ModifyTargetGroupAttributes",
        "elasticloadbalancing:SetIpAddressType",
        "elasticloadbalancing:SetSecurityGroups",
        "elasticloadbalancing:SetSubnets",
      ],
      [...balancersAndGroups, ...listenersAndRules],
      { StringEquals: ownTag },
    ),
    // TargetGroupBinding registers pods into target groups it may not have created: any group in this
    // account and region, as upstream allows.
    allow("RegisterTargets", ["elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:RegisterTargets"], elb("targetgroup/*/*")),
    allow(
      "ManageListenersAndRules",
      [
        "elasticloadbalancing:AddListenerCertificates",
        "elasticloadbalancing:CreateListener",
        "elasticloadbalancing:CreateRule",
        "elasticloadbalancing:DeleteListener",
        "elasticloadbalancing:DeleteRule",
        "elasticloadbalancing:ModifyListener",
        "elasticloadbalancing:ModifyRule",
        "elasticloadbalancing:RemoveListenerCertificates",
      ],
      [...balancersAndGroups, ...listenersAndRules],
    ),
    allow("TagListenersAndRules", ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"], listenersAndRules),
  ]);
}
