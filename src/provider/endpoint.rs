//! Where the credential services are: STS, the IAM Identity Center portal
//! and OIDC service, and the AWS Sign-In service (`aws login`).
//!
//! An endpoint URL set by the user wins, first found
//! ([Service-specific endpoints](https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html)):
//!
//! 1. `AWS_ENDPOINT_URL_<SERVICE>` (`AWS_ENDPOINT_URL_STS`, `_SSO`,
//!    `_SSO_OIDC`, `_SIGNIN`);
//! 2. `AWS_ENDPOINT_URL`;
//! 3. the profile's `services` section: `<service> =` followed by an
//!    indented `endpoint_url = ...` (keys `sts`, `sso`, `sso_oidc`, `signin`);
//! 4. the profile's `endpoint_url`.
//!
//! `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true` (or the profile's
//! `ignore_configured_endpoint_urls = true`) ignores all four.
//!
//! Otherwise the endpoint is the service's regional one, in its FIPS and
//! dual-stack forms when `AWS_USE_FIPS_ENDPOINT` / `use_fips_endpoint` and
//! `AWS_USE_DUALSTACK_ENDPOINT` / `use_dualstack_endpoint` are `true`
//! ([Dual-stack and FIPS endpoints](https://docs.aws.amazon.com/sdkref/latest/guide/feature-endpoints.html)):
//! for example `https://sts-fips.us-east-1.api.aws` for both.

use super::profile::{Profile, ProfileSet};
use super::{Environment, non_empty};

/// A service the credential flows call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Service {
    /// AWS STS (`AssumeRole`, `AssumeRoleWithWebIdentity`).
    Sts,
    /// The IAM Identity Center portal (`GetRoleCredentials`).
    Sso,
    /// The IAM Identity Center OIDC service (token refresh).
    SsoOidc,
    /// The AWS Sign-In service (`aws login` refresh).
    Signin,
}

impl Service {
    /// The environment variable suffix: `AWS_ENDPOINT_URL_<this>`.
    pub fn env_suffix(self) -> &'static str {
        match self {
            Service::Sts => "STS",
            Service::Sso => "SSO",
            Service::SsoOidc => "SSO_OIDC",
            Service::Signin => "SIGNIN",
        }
    }

    /// The key in a `services` section.
    pub fn services_key(self) -> &'static str {
        match self {
            Service::Sts => "sts",
            Service::Sso => "sso",
            Service::SsoOidc => "sso_oidc",
            Service::Signin => "signin",
        }
    }
}

/// The endpoint settings of the environment and the selected profile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoints {
    fips: bool,
    dual_stack: bool,
    configured: Vec<(Service, String)>,
}

fn is_true(value: Option<&str>) -> bool {
    value.is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

impl Endpoints {
    /// The settings from the environment and the profile `profile` of
    /// `profiles`.
    pub fn from_env(env: &dyn Environment, profiles: &ProfileSet, profile: &str) -> Self {
        let p = profiles.get(profile);
        let setting = |var: &str, key: &str| -> Option<String> {
            non_empty(env.var(var)).or_else(|| p.and_then(|p| p.get(key)).map(str::to_owned))
        };
        let fips = is_true(setting("AWS_USE_FIPS_ENDPOINT", "use_fips_endpoint").as_deref());
        let dual_stack =
            is_true(setting("AWS_USE_DUALSTACK_ENDPOINT", "use_dualstack_endpoint").as_deref());
        let ignore = is_true(
            setting(
                "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
                "ignore_configured_endpoint_urls",
            )
            .as_deref(),
        );
        let mut configured = Vec::new();
        if !ignore {
            let services: Option<&Profile> = p
                .and_then(|p| p.get("services"))
                .and_then(|name| profiles.services(name.trim()));
            for service in [
                Service::Sts,
                Service::Sso,
                Service::SsoOidc,
                Service::Signin,
            ] {
                let url = non_empty(env.var(&format!("AWS_ENDPOINT_URL_{}", service.env_suffix())))
                    .or_else(|| non_empty(env.var("AWS_ENDPOINT_URL")))
                    .or_else(|| {
                        services
                            .and_then(|s| s.sub_section(service.services_key()))
                            .and_then(|s| s.get("endpoint_url"))
                            .and_then(|u| non_empty(Some(u.clone())))
                    })
                    .or_else(|| {
                        p.and_then(|p| p.get("endpoint_url"))
                            .and_then(|u| non_empty(Some(u.to_owned())))
                    });
                if let Some(url) = url {
                    configured.push((service, url));
                }
            }
        }
        Self {
            fips,
            dual_stack,
            configured,
        }
    }

    /// Settings with FIPS and dual-stack endpoints on or off, and no
    /// configured URL.
    pub fn with_variants(fips: bool, dual_stack: bool) -> Self {
        Self {
            fips,
            dual_stack,
            configured: Vec::new(),
        }
    }

    /// Whether FIPS endpoints are asked for.
    pub fn fips(&self) -> bool {
        self.fips
    }

    /// Whether dual-stack endpoints are asked for.
    pub fn dual_stack(&self) -> bool {
        self.dual_stack
    }

    /// The URL configured for `service`, if any.
    pub fn configured(&self, service: Service) -> Option<&str> {
        self.configured
            .iter()
            .find(|(s, _)| *s == service)
            .map(|(_, u)| u.as_str())
    }

    /// The endpoint of `service` in `region`: the configured URL, else the
    /// regional one (`https://...`, no trailing slash).
    pub fn url(&self, service: Service, region: &str) -> String {
        if let Some(url) = self.configured(service) {
            return url.trim_end_matches('/').to_owned();
        }
        let (dns, dual) = dns_suffixes(region);
        let suffix = if self.dual_stack { dual } else { dns };
        let fips = if self.fips { "-fips" } else { "" };
        match service {
            Service::Sts => format!("https://sts{fips}.{region}.{suffix}"),
            Service::Sso => format!("https://portal.sso{fips}.{region}.{suffix}"),
            Service::SsoOidc => format!("https://oidc{fips}.{region}.{suffix}"),
            Service::Signin if self.fips || self.dual_stack => {
                format!("https://signin{fips}.{region}.{suffix}")
            }
            Service::Signin => format!("https://{region}.{}", signin_domain(region)),
        }
    }
}

/// The DNS suffixes of a region's partition: the usual one and the
/// dual-stack one.
fn dns_suffixes(region: &str) -> (&'static str, &'static str) {
    if region.starts_with("cn-") {
        ("amazonaws.com.cn", "api.amazonwebservices.com.cn")
    } else {
        ("amazonaws.com", "api.aws")
    }
}

/// The AWS Sign-In domain of a region's partition.
fn signin_domain(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "signin.amazonaws.cn"
    } else if region.starts_with("us-gov-") {
        "signin.amazonaws-us-gov.com"
    } else {
        "signin.aws.amazon.com"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::env::tests::FakeEnv;

    #[test]
    fn regional_fips_and_dual_stack_hosts() {
        let plain = Endpoints::default();
        assert_eq!(
            plain.url(Service::Sts, "us-east-1"),
            "https://sts.us-east-1.amazonaws.com"
        );
        assert_eq!(
            plain.url(Service::Sso, "us-east-2"),
            "https://portal.sso.us-east-2.amazonaws.com"
        );
        assert_eq!(
            plain.url(Service::SsoOidc, "eu-west-1"),
            "https://oidc.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            plain.url(Service::Signin, "us-east-1"),
            "https://us-east-1.signin.aws.amazon.com"
        );
        assert_eq!(
            plain.url(Service::Sts, "cn-north-1"),
            "https://sts.cn-north-1.amazonaws.com.cn"
        );
        let both = Endpoints::with_variants(true, true);
        assert_eq!(
            both.url(Service::Sts, "us-east-1"),
            "https://sts-fips.us-east-1.api.aws"
        );
        assert_eq!(
            both.url(Service::Sso, "us-east-2"),
            "https://portal.sso-fips.us-east-2.api.aws"
        );
        let fips = Endpoints::with_variants(true, false);
        assert_eq!(
            fips.url(Service::Signin, "us-west-2"),
            "https://signin-fips.us-west-2.amazonaws.com"
        );
    }

    #[test]
    fn configured_urls_in_order() {
        let config = "[default]\nendpoint_url = http://profile-global\nservices = local\n[services local]\nsts =\n  endpoint_url = http://profile-sts\n";
        let profiles = ProfileSet::parse(Some(config), None).unwrap();
        let e = Endpoints::from_env(&FakeEnv::default(), &profiles, "default");
        assert_eq!(e.url(Service::Sts, "us-east-1"), "http://profile-sts");
        assert_eq!(e.url(Service::Sso, "us-east-1"), "http://profile-global");
        let env = FakeEnv::with(&[("AWS_ENDPOINT_URL", "http://env-global/")]);
        let e = Endpoints::from_env(&env, &profiles, "default");
        assert_eq!(e.url(Service::Sts, "us-east-1"), "http://env-global");
        let env = FakeEnv::with(&[
            ("AWS_ENDPOINT_URL", "http://env-global"),
            ("AWS_ENDPOINT_URL_STS", "http://env-sts"),
        ]);
        let e = Endpoints::from_env(&env, &profiles, "default");
        assert_eq!(e.url(Service::Sts, "us-east-1"), "http://env-sts");
        assert_eq!(e.url(Service::SsoOidc, "us-east-1"), "http://env-global");
        let env = FakeEnv::with(&[
            ("AWS_ENDPOINT_URL_STS", "http://env-sts"),
            ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE"),
        ]);
        let e = Endpoints::from_env(&env, &profiles, "default");
        assert_eq!(
            e.url(Service::Sts, "us-east-1"),
            "https://sts.us-east-1.amazonaws.com"
        );
        let profiles = ProfileSet::parse(
            Some("[default]\nuse_fips_endpoint = true\nuse_dualstack_endpoint = True\n"),
            None,
        )
        .unwrap();
        let e = Endpoints::from_env(&FakeEnv::default(), &profiles, "default");
        assert!(e.fips() && e.dual_stack());
    }
}
