"""The VPC: private subnets only, an S3 gateway endpoint, flow logs; NAT and interface endpoints are cost toggles."""

from __future__ import annotations

import ipaddress

from cdktn_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktn_provider_aws.default_security_group import DefaultSecurityGroup
from cdktn_provider_aws.eip import Eip
from cdktn_provider_aws.flow_log import FlowLog
from cdktn_provider_aws.iam_role import IamRole
from cdktn_provider_aws.iam_role_policy import IamRolePolicy
from cdktn_provider_aws.internet_gateway import InternetGateway
from cdktn_provider_aws.nat_gateway import NatGateway
from cdktn_provider_aws.route import Route
from cdktn_provider_aws.route_table import RouteTable
from cdktn_provider_aws.route_table_association import RouteTableAssociation
from cdktn_provider_aws.security_group import SecurityGroup, SecurityGroupIngress
from cdktn_provider_aws.subnet import Subnet
from cdktn_provider_aws.vpc import Vpc
from cdktn_provider_aws.vpc_endpoint import VpcEndpoint
from constructs import Construct

from infra_cdktf.config import EnvironmentConfig
from infra_cdktf.policy import assume_role_document, document, statement

SUBNET_PREFIX = 20  # private subnets: /20 each, in zone order
PUBLIC_SUBNET_PREFIX = 28  # the NAT gateway's subnet: the last /28 of the VPC


def subnet_cidrs(cidr: str, count: int) -> list[str]:
    subnets = ipaddress.ip_network(cidr).subnets(new_prefix=SUBNET_PREFIX)
    return [str(next(subnets)) for _ in range(count)]


def public_subnet_cidr(cidr: str) -> str:
    return str(list(ipaddress.ip_network(cidr).subnets(new_prefix=PUBLIC_SUBNET_PREFIX))[-1])


class Network(Construct):
    def __init__(self, scope: Construct, id_: str, config: EnvironmentConfig, kms_key_arn: str) -> None:
        super().__init__(scope, id_)
        net = config.network
        self.cidr = net.cidr
        self.vpc = Vpc(
            self, "vpc", cidr_block=net.cidr, enable_dns_support=True, enable_dns_hostnames=True,
            tags={"Name": config.prefix},
        )
        # The default security group allows nothing: every resource gets its own group.
        DefaultSecurityGroup(self, "default-sg", vpc_id=self.vpc.id, ingress=[], egress=[])

        self.private_route_table = RouteTable(self, "private-rt", vpc_id=self.vpc.id, tags={"Name": f"{config.prefix}-private"})
        self.private_subnets: list[Subnet] = []
        for index, (zone, cidr) in enumerate(zip(net.availability_zones, subnet_cidrs(net.cidr, len(net.availability_zones)))):
            subnet = Subnet(
                self, f"private-{index}", vpc_id=self.vpc.id, cidr_block=cidr, availability_zone=zone,
                map_public_ip_on_launch=False, tags={"Name": f"{config.prefix}-private-{zone}"},
            )
            RouteTableAssociation(self, f"private-{index}-rt", subnet_id=subnet.id, route_table_id=self.private_route_table.id)
            self.private_subnets.append(subnet)

        # S3 through a gateway endpoint: free, and keeps warehouse traffic off the internet.
        self.s3_endpoint = VpcEndpoint(
            self, "s3-endpoint", vpc_id=self.vpc.id, service_name=f"com.amazonaws.{config.region}.s3",
            vpc_endpoint_type="Gateway", route_table_ids=[self.private_route_table.id],
        )
        self.interface_endpoints: list[VpcEndpoint] = []
        if net.interface_endpoints:
            self._interface_endpoints(config)
        if net.nat_gateway:
            self._nat_gateway(config)
        self._flow_logs(config, kms_key_arn)

    @property
    def private_subnet_ids(self) -> list[str]:
        return [subnet.id for subnet in self.private_subnets]

    def _interface_endpoints(self, config: EnvironmentConfig) -> None:
        self.endpoint_security_group = SecurityGroup(
            self, "endpoints-sg", name=f"{config.prefix}-endpoints", vpc_id=self.vpc.id,
            description="Interface endpoints: HTTPS from inside the VPC",
            ingress=[SecurityGroupIngress(description="HTTPS from the VPC", protocol="tcp", from_port=443, to_port=443, cidr_blocks=[self.cidr])],
            egress=[],
        )
        for service in config.network.endpoint_services:
            self.interface_endpoints.append(
                VpcEndpoint(
                    self, f"{service}-endpoint", vpc_id=self.vpc.id,
                    service_name=f"com.amazonaws.{config.region}.{service}", vpc_endpoint_type="Interface",
                    private_dns_enabled=True, subnet_ids=self.private_subnet_ids,
                    security_group_ids=[self.endpoint_security_group.id],
                )
            )

    def _nat_gateway(self, config: EnvironmentConfig) -> None:
        gateway = InternetGateway(self, "igw", vpc_id=self.vpc.id, tags={"Name": config.prefix})
        public = Subnet(
            self, "public-nat", vpc_id=self.vpc.id, cidr_block=public_subnet_cidr(self.cidr),
            availability_zone=config.network.availability_zones[0], map_public_ip_on_launch=False,
            tags={"Name": f"{config.prefix}-public-nat"},
        )
        public_rt = RouteTable(self, "public-rt", vpc_id=self.vpc.id, tags={"Name": f"{config.prefix}-public"})
        Route(self, "public-default", route_table_id=public_rt.id, destination_cidr_block="0.0.0.0/0", gateway_id=gateway.id)
        RouteTableAssociation(self, "public-nat-rt", subnet_id=public.id, route_table_id=public_rt.id)
        address = Eip(self, "nat-eip", domain="vpc", tags={"Name": f"{config.prefix}-nat"})
        self.nat_gateway = NatGateway(self, "nat", allocation_id=address.id, subnet_id=public.id, depends_on=[gateway])
        Route(self, "private-default", route_table_id=self.private_route_table.id, destination_cidr_block="0.0.0.0/0", nat_gateway_id=self.nat_gateway.id)

    def _flow_logs(self, config: EnvironmentConfig, kms_key_arn: str) -> None:
        group = CloudwatchLogGroup(
            self, "flow-logs", name=f"/vpc/{config.prefix}/flow-logs",
            retention_in_days=config.log_retention_days, kms_key_id=kms_key_arn,
        )
        role = IamRole(
            self, "flow-logs-role", name=f"{config.prefix}-vpc-flow-logs",
            assume_role_policy=assume_role_document(
                {"Service": "vpc-flow-logs.amazonaws.com"},
                {"StringEquals": {"aws:SourceAccount": config.aws_account_id}},
            ),
        )
        IamRolePolicy(
            self, "flow-logs-policy", name="write-flow-logs", role=role.id,
            policy=document(
                statement(
                    "WriteFlowLogs",
                    ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                    [group.arn, f"{group.arn}:*"],
                )
            ),
        )
        FlowLog(self, "flow-log", vpc_id=self.vpc.id, traffic_type="ALL", log_destination=group.arn, iam_role_arn=role.arn)
